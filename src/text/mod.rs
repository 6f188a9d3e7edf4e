//! Text layer: a note's sections, sentences and tokens, all as byte spans into the original text.
//!
//! Nothing here knows clinical vocabulary beyond header labels and abbreviations (both data). The layer is
//! testable alone and is the first stage of the pipeline: `ingest → text → mentions → evidence → …`.

pub mod regex;
mod sections;
mod sentences;
mod span;
mod tokens;

pub use sections::{Section, SectionKind, Sectionizer};
pub use sentences::split_sentences;
pub use span::Span;
pub use tokens::{tokenize, Token, TOKEN_PATTERN};

use std::ops::Range;

/// One sentence: its span, the section it sits in, and the range of its tokens in [`Document::tokens`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// The sentence text, trimmed.
    pub span: Span,
    /// The section that contains it.
    pub section: SectionKind,
    /// Indices into the document's token list.
    pub tokens: Range<usize>,
}

/// A note split into sections, sentences and tokens.
#[derive(Clone, Debug)]
pub struct Document {
    /// Sections in order; together they cover the whole note.
    pub sections: Vec<Section>,
    /// Sentences in order; disjoint, never crossing a section boundary, never covering a header.
    pub sentences: Vec<Sentence>,
    /// Tokens of the sentences, in order.
    pub tokens: Vec<Token>,
}

impl Document {
    /// The sentence containing byte offset `at`, if any.
    pub fn sentence_at(&self, at: usize) -> Option<usize> {
        let i = self.sentences.partition_point(|s| s.span.end <= at);
        (i < self.sentences.len() && self.sentences[i].span.start <= at).then_some(i)
    }

    /// The header of the section containing `span` (the span itself when the section has none): what a
    /// section rule cites as its cue.
    pub fn section_header(&self, span: Span) -> Span {
        self.sections
            .iter()
            .find(|s| s.body.contains(span))
            .and_then(|s| s.header)
            .unwrap_or(span)
    }

    /// The token index range covered by `span` (tokens overlapping it).
    pub fn token_range(&self, span: Span) -> Range<usize> {
        let first = self.tokens.partition_point(|t| t.span.end <= span.start);
        let last = self.tokens.partition_point(|t| t.span.start < span.end);
        first..last.max(first)
    }
}

/// Builds [`Document`]s: sections from header rules, sentences within sections, tokens within sentences.
#[derive(Debug)]
pub struct TextAnalyzer {
    sectionizer: Sectionizer,
    no_split: std::collections::HashSet<String>,
}

impl TextAnalyzer {
    /// Loads `sections.tsv` and `text/abbreviations.tsv`.
    pub fn build(
        lex: &crate::lexicon::Lexicons,
    ) -> Result<TextAnalyzer, crate::lexicon::LexiconError> {
        let sections = lex.table("sections.tsv")?;
        sections.expect_columns(&["header", "section", "source"])?;
        let abbrevs = lex.table("text/abbreviations.tsv")?;
        abbrevs.expect_columns(&["abbreviation", "source"])?;
        let mut no_split = std::collections::HashSet::new();
        for row in abbrevs.rows() {
            no_split.insert(row.get("abbreviation")?.to_ascii_lowercase());
        }
        Ok(TextAnalyzer {
            sectionizer: Sectionizer::from_table(&sections)?,
            no_split,
        })
    }

    /// Analyses one note's text.
    pub fn analyze(&self, text: &str) -> Document {
        let sections = self.sectionizer.sections(text);
        let mut sentences = Vec::new();
        let mut tokens = Vec::new();
        for section in &sections {
            for span in split_sentences(text, section.body, &self.no_split) {
                let first = tokens.len();
                tokens.extend(tokenize(&text[span]).into_iter().map(|t| Token {
                    span: Span::new(t.span.start + span.start, t.span.end + span.start),
                    is_word: t.is_word,
                }));
                sentences.push(Sentence {
                    span,
                    section: section.kind,
                    tokens: first..tokens.len(),
                });
            }
        }
        Document {
            sections,
            sentences,
            tokens,
        }
    }
}
