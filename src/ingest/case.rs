//! The case model: a prior-authorization request with its notes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One prior-authorization case.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Case {
    /// The case id.
    pub case_id: String,
    /// What is requested.
    pub request: Request,
    /// Who it is for.
    #[serde(default)]
    pub patient: Patient,
    /// The clinical notes submitted.
    pub notes: Vec<Note>,
}

/// The request: date, procedures, diagnoses.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct Request {
    /// Date of the request; durations run to it.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Requested procedures.
    pub procedures: Vec<Procedure>,
    /// ICD-10 codes, as submitted.
    #[serde(default)]
    pub diagnoses: Vec<String>,
}

/// A requested procedure.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Procedure {
    /// CPT code.
    pub cpt: String,
    /// Free-text description, as submitted.
    #[serde(default)]
    pub description: String,
}

/// Patient demographics.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct Patient {
    /// Age in years.
    #[serde(default)]
    pub age: Option<u32>,
    /// Sex as recorded.
    #[serde(default)]
    pub sex: Option<String>,
}

/// A clinical note.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Note {
    /// Note id, unique within the case.
    pub note_id: String,
    /// Date of service; relative expressions resolve against it.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Note kind ("progress", "pt_progress", "ed", …).
    #[serde(default)]
    pub kind: Option<String>,
    /// Author role.
    #[serde(default)]
    pub author_role: Option<String>,
    /// The text, exactly as received; every offset precert reports points into it.
    pub text: String,
}

/// The spinal region a CPT code images, per the CPT descriptors for MRI of the spine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CptRegion {
    /// 72141/72142/72156.
    Cervical,
    /// 72146/72147/72157.
    Thoracic,
    /// 72148/72149/72158.
    Lumbar,
}

/// Contrast of the requested study.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Contrast {
    /// Without contrast (72141, 72146, 72148).
    Without,
    /// With contrast (72142, 72147, 72149).
    With,
    /// Without, then with (72156, 72157, 72158).
    WithoutAndWith,
}

/// Region and contrast of an MRI spine CPT code; `None` for codes outside the MRI spine family.
pub fn cpt_info(cpt: &str) -> Option<(CptRegion, Contrast)> {
    Some(match cpt.trim() {
        "72141" => (CptRegion::Cervical, Contrast::Without),
        "72142" => (CptRegion::Cervical, Contrast::With),
        "72156" => (CptRegion::Cervical, Contrast::WithoutAndWith),
        "72146" => (CptRegion::Thoracic, Contrast::Without),
        "72147" => (CptRegion::Thoracic, Contrast::With),
        "72157" => (CptRegion::Thoracic, Contrast::WithoutAndWith),
        "72148" => (CptRegion::Lumbar, Contrast::Without),
        "72149" => (CptRegion::Lumbar, Contrast::With),
        "72158" => (CptRegion::Lumbar, Contrast::WithoutAndWith),
        _ => return None,
    })
}

/// The without-contrast code for the same region (the study to recommend when contrast is not indicated).
pub fn without_contrast_cpt(region: CptRegion) -> &'static str {
    match region {
        CptRegion::Cervical => "72141",
        CptRegion::Thoracic => "72146",
        CptRegion::Lumbar => "72148",
    }
}
