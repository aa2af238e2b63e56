//! A contact as an ally imports it: from LinkedIn's `Connections.csv` export, or field by
//! field as a browser extension sends them. Parsed here, once, into [`ContactRow`]; the
//! import decides what to create and update.

use chrono::NaiveDate;

use super::{EmailAddress, LinkedInUrl};

/// The columns of LinkedIn's export, by their header names.
pub const LINKEDIN_COLUMNS: [&str; 7] = [
    "First Name",
    "Last Name",
    "URL",
    "Email Address",
    "Company",
    "Position",
    "Connected On",
];

/// One valid contact. Empty fields are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<EmailAddress>,
    pub linkedin_url: Option<LinkedInUrl>,
    pub company: Option<String>,
    pub position: Option<String>,
    pub connected_on: Option<NaiveDate>,
}

/// The fields of one contact, as typed.
#[derive(Debug, Default, Clone, Copy)]
pub struct ContactFields<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub linkedin_url: Option<&'a str>,
    pub company: Option<&'a str>,
    pub position: Option<&'a str>,
    /// `05 Mar 2024` (LinkedIn's form) or `2024-03-05`.
    pub connected_on: Option<&'a str>,
}

/// A line of the file that was not imported, and why. `line` is 1-based, counting every
/// line of the file (preamble and header included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

/// Each line after the header: its number, and the contact or why it is not one.
pub type ParsedLines = Vec<(u64, Result<ContactRow, String>)>;

/// A file that is not a LinkedIn connections export at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnExport(pub String);

const MAX_FIELD_CHARS: usize = 500;

impl ContactRow {
    pub fn parse(fields: ContactFields<'_>) -> Result<Self, String> {
        let text = |value: Option<&str>, what: &str| -> Result<Option<String>, String> {
            match value.map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) if v.chars().count() > MAX_FIELD_CHARS => {
                    Err(format!("{what} is over {MAX_FIELD_CHARS} characters"))
                }
                Some(v) if v.chars().any(char::is_control) => {
                    Err(format!("{what} has control characters"))
                }
                Some(v) => Ok(Some(v.to_owned())),
            }
        };
        let first_name = text(fields.first_name, "first name")?;
        let last_name = text(fields.last_name, "last name")?;
        let company = text(fields.company, "company")?;
        let position = text(fields.position, "position")?;
        let email = match text(fields.email, "email")? {
            Some(email) => Some(EmailAddress::parse(&email)?),
            None => None,
        };
        let linkedin_url = match text(fields.linkedin_url, "URL")? {
            Some(url) => Some(parse_profile_url(&url)?),
            None => None,
        };
        let connected_on = match text(fields.connected_on, "Connected On")? {
            Some(date) => Some(parse_date(&date)?),
            None => None,
        };
        if first_name.is_none() && last_name.is_none() && email.is_none() {
            return Err("a contact needs a name or an email address".into());
        }
        if linkedin_url.is_none() && email.is_none() {
            return Err("a contact needs a LinkedIn URL or an email address".into());
        }
        Ok(Self {
            first_name,
            last_name,
            email,
            linkedin_url,
            company,
            position,
            connected_on,
        })
    }

    /// First and last name, or the email when there is no name.
    pub fn display_name(&self) -> String {
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            self.email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default()
        } else {
            name
        }
    }
}

/// LinkedIn exports `https://www.linkedin.com/in/…`; an `http://` one is taken as https.
fn parse_profile_url(text: &str) -> Result<LinkedInUrl, String> {
    let upgraded = match text.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("http://") => format!("https://{}", &text[7..]),
        _ => text.to_owned(),
    };
    LinkedInUrl::parse(&upgraded).map_err(|_| format!("URL `{text}` is not a LinkedIn profile URL"))
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%d %b %Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .map_err(|_| format!("Connected On `{text}` is not a date like `05 Mar 2024`"))
}

/// Who a contact is, across the allies who know them: their LinkedIn URL (without case or
/// trailing slash), else their email's key.
pub fn person_key(linkedin_url: Option<&str>, email_key: Option<&str>) -> Option<String> {
    linkedin_url
        .map(|url| url.trim_end_matches('/').to_lowercase())
        .or_else(|| email_key.map(str::to_owned))
}

/// Company names compared "case and spacing aside".
pub fn company_key(company: &str) -> String {
    company
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Reads LinkedIn's `Connections.csv`: a UTF-8 BOM and the "Notes:" preamble before the
/// header are passed over; columns are found by their header names, in any order. Each
/// line after the header is a contact or an error on that line; a file without the header
/// is refused whole.
pub fn parse_linkedin_csv(text: &str) -> Result<ParsedLines, NotAnExport> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut columns: Option<Vec<usize>> = None;
    let mut header_width = 0;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                match columns {
                    Some(_) => {
                        rows.push((line, Err(format!("unreadable line: {}", error.kind_text()))));
                        continue;
                    }
                    None => return Err(not_an_export()),
                }
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let Some(columns) = &columns else {
            // The preamble: everything up to the header.
            let names: Vec<&str> = record.iter().map(str::trim).collect();
            let found: Option<Vec<usize>> = LINKEDIN_COLUMNS
                .iter()
                .map(|wanted| {
                    names
                        .iter()
                        .position(|name| name.eq_ignore_ascii_case(wanted))
                })
                .collect();
            if let Some(found) = found {
                header_width = record.len();
                columns = Some(found);
            }
            continue;
        };
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != header_width {
            rows.push((
                line,
                Err(format!(
                    "{} columns where the header has {header_width}",
                    record.len()
                )),
            ));
            continue;
        }
        let field = |i: usize| record.get(columns[i]);
        let parsed = ContactRow::parse(ContactFields {
            first_name: field(0),
            last_name: field(1),
            linkedin_url: field(2),
            email: field(3),
            company: field(4),
            position: field(5),
            connected_on: field(6),
        });
        rows.push((line, parsed));
    }
    if columns.is_none() {
        return Err(not_an_export());
    }
    Ok(rows)
}

fn not_an_export() -> NotAnExport {
    NotAnExport(format!(
        "not a LinkedIn connections export: no header line with {}",
        LINKEDIN_COLUMNS.join(", ")
    ))
}

trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for csv::Error {
    fn kind_text(&self) -> String {
        match self.kind() {
            csv::ErrorKind::Utf8 { .. } => "not UTF-8".into(),
            _ => "malformed CSV".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As LinkedIn exports it: BOM, notes, a blank line, quoted fields.
    const EXPORT: &str = "\u{feff}Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing. You will only see email addresses for connections who have allowed their connections to see or download their email address using this setting https://www.linkedin.com/psettings/privacy/email. You can learn more here https://www.linkedin.com/help/linkedin/answer/261\"\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\nAnn,Lee,https://www.linkedin.com/in/annlee,ann@acme.com,\"Acme, Inc.\",\"Head of \"\"Platform\"\"\",05 Mar 2024\nBo,Chen,https://www.linkedin.com/in/bochen,,Globex,Engineer,17 Jan 2023\nCy,,not a url,,Initech,CTO,01 Feb 2022\nDee,Ray,https://www.linkedin.com/in/deeray,,Hooli,PM,yesterday\nEd,Short,https://www.linkedin.com/in/ed\n";

    #[test]
    fn reads_linkedin_export() {
        let rows = parse_linkedin_csv(EXPORT).unwrap();
        let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [5, 6, 7, 8, 9]);
        let ann = rows[0].1.as_ref().unwrap();
        assert_eq!(ann.company.as_deref(), Some("Acme, Inc."));
        assert_eq!(ann.position.as_deref(), Some("Head of \"Platform\""));
        assert_eq!(ann.connected_on, NaiveDate::from_ymd_opt(2024, 3, 5));
        assert_eq!(ann.display_name(), "Ann Lee");
        let bo = rows[1].1.as_ref().unwrap();
        assert_eq!(bo.email, None, "empty fields read back as none");
        assert!(rows[2].1.as_ref().unwrap_err().contains("URL"));
        assert!(rows[3].1.as_ref().unwrap_err().contains("Connected On"));
        assert!(rows[4].1.as_ref().unwrap_err().contains("columns"));
    }

    #[test]
    fn a_file_without_the_header_is_refused() {
        assert!(parse_linkedin_csv("name,email\nAnn,ann@acme.com\n").is_err());
        assert!(parse_linkedin_csv("").is_err());
        // Columns in another order are found by name.
        let rows = parse_linkedin_csv(
            "Email Address,URL,First Name,Last Name,Company,Position,Connected On\nann@acme.com,,Ann,Lee,Acme,CEO,\n",
        )
        .unwrap();
        assert_eq!(
            rows[0].1.as_ref().unwrap().first_name.as_deref(),
            Some("Ann")
        );
    }

    #[test]
    fn company_keys_ignore_case_and_spacing() {
        assert_eq!(company_key("  Acme   Labs "), "acme labs");
        assert_eq!(company_key("ACME LABS"), company_key("acme labs"));
    }
}
