//! Files a member attaches: the type is decided from the bytes, never from the name.

use super::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceType {
    Png,
    Jpeg,
    Webp,
    Pdf,
}

impl EvidenceType {
    /// The type of a file from its first bytes.
    pub fn sniff(field: &str, head: &[u8]) -> Result<Self, FieldError> {
        let found = infer::get(head).map(|t| t.mime_type());
        match found {
            Some("image/png") => Ok(Self::Png),
            Some("image/jpeg") => Ok(Self::Jpeg),
            Some("image/webp") => Ok(Self::Webp),
            Some("application/pdf") => Ok(Self::Pdf),
            _ => Err(FieldError::new(
                field,
                "file_type",
                "must be a PNG, JPEG or WebP image or a PDF document",
            )),
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Pdf => "pdf",
        }
    }
}

/// A stored file, named by the digest of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvidenceFile {
    /// The member's name for it, cleaned for display.
    pub file_name: String,
    pub kind: EvidenceType,
    pub size_bytes: u64,
    pub sha256: String,
}

/// A file name safe to show and to offer as a download name.
pub fn clean_file_name(raw: &str, kind: EvidenceType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '\\' | '/'))
        .take(120)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        format!("evidence.{}", kind.extension())
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes_not_the_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(EvidenceType::sniff("f", png).ok(), Some(EvidenceType::Png));
        assert_eq!(
            EvidenceType::sniff("f", b"%PDF-1.7\n").ok(),
            Some(EvidenceType::Pdf)
        );
        let refused = EvidenceType::sniff("f", b"MZ\x90\0 not an image")
            .expect_err("a program is not evidence");
        assert_eq!(refused.rule, "file_type");
        assert!(EvidenceType::sniff("f", b"GIF89a").is_err());
    }

    #[test]
    fn file_names_lose_paths_and_markup() {
        assert_eq!(
            clean_file_name("C:\\x\\shot.png", EvidenceType::Png),
            "shot.png"
        );
        assert_eq!(clean_file_name("<b>\"a\".pdf", EvidenceType::Pdf), "ba.pdf");
        assert_eq!(clean_file_name("  ", EvidenceType::Jpeg), "evidence.jpg");
    }
}
