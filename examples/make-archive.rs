//! Writes a benchmark archive: `cargo run --release --example make-archive -- N OUT [SEED]`.
//!
//! N cases recombined from the corpus notes (see `precert::bulk::synth`), one JSON case per line; gzip
//! when OUT ends in `.gz`. For speed and memory measurement only.

use std::io::Write;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(out)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: make-archive N OUT[.gz] [SEED]");
    };
    let n: usize = n.parse()?;
    let seed: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(2026);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let pool = precert::bulk::synth::corpus_notes(&[root.join("corpus")])?;
    anyhow::ensure!(!pool.is_empty(), "no corpus notes under {}", root.display());
    let file = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut w: Box<dyn Write> = if out.ends_with(".gz") {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(file)
    };
    let mut bytes = 0usize;
    for i in 0..n {
        let case = precert::bulk::synth::case(&pool, seed, i);
        bytes += case.notes.iter().map(|n| n.text.len()).sum::<usize>();
        serde_json::to_writer(&mut w, &case)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    drop(w);
    eprintln!(
        "{out}: {n} cases from {} corpus notes, {:.1} MB of note text",
        pool.len(),
        bytes as f64 / 1e6
    );
    Ok(())
}
