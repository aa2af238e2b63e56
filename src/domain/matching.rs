//! The matching rule of `Job.recommendations` (SPEC §7.1), in one place.
//!
//! Texts become *terms*: whole words, lower-cased, without a few filler words, stemmed with
//! Snowball's English stemmer (plurals and common suffixes: `Engineers`, `engineering` and
//! `engineer` are one term). What is stored for a candidate (a talent's headline, a
//! contact's position and company) is its [`search_terms`], which the database's full-text
//! index indexes word by word. A job's title terms weigh [`TITLE_WEIGHT`], its department's
//! [`DEPARTMENT_WEIGHT`]; a candidate scores the weights of the job's terms it has.
//!
//! The same [`JobQuery`] gives the database its filter ([`JobQuery::tiers`]: who can reach a
//! score at all) and scores what the database returns ([`JobQuery::score`]), so the SQL and
//! the ranking cannot disagree about what matches.

use std::{collections::HashSet, sync::OnceLock};

use rust_stemmers::{Algorithm, Stemmer};

pub const TITLE_WEIGHT: u32 = 2;
pub const DEPARTMENT_WEIGHT: u32 = 1;
/// A job's terms used at most (title first): bounds the filter the database gets.
pub const MAX_QUERY_TERMS: usize = 8;

/// Words that say nothing about fit.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "by", "de", "for", "from", "in", "of", "on", "or", "the", "to",
    "with",
];

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// Each word of `text` worth matching: (the word lower-cased, its stem).
fn words(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .filter(|word| !STOP_WORDS.contains(&word.as_str()))
        .map(|word| {
            let stem = stemmer().stem(&word).into_owned();
            (word, stem)
        })
}

/// What a candidate is matched on: the distinct stems of its texts, space-separated, in
/// order of first appearance; `""` when there are none.
pub fn search_terms<'a>(texts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut seen = HashSet::new();
    let mut terms = Vec::new();
    for text in texts.into_iter().flatten() {
        for (_, stem) in words(text) {
            if seen.insert(stem.clone()) {
                terms.push(stem);
            }
        }
    }
    terms.join(" ")
}

/// One term of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    pub stem: String,
    /// The job's own word, lower-cased: what `matchedTerms` shows.
    pub word: String,
    pub weight: u32,
}

/// How a candidate fits a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub score: u32,
    /// The job's words the candidate has, in the job's order.
    pub matched_terms: Vec<String>,
}

/// The candidates that can reach `min_score`: those with every term of at least one of
/// the sets in `any_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub min_score: u32,
    pub any_of: Vec<Vec<String>>,
}

/// A job's title and department as terms to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobQuery {
    terms: Vec<QueryTerm>,
}

impl JobQuery {
    pub fn new(title: &str, department: Option<&str>) -> Self {
        let mut terms: Vec<QueryTerm> = Vec::new();
        let sources = [(Some(title), TITLE_WEIGHT), (department, DEPARTMENT_WEIGHT)];
        for (text, weight) in sources {
            for (word, stem) in words(text.unwrap_or_default()) {
                if terms.len() < MAX_QUERY_TERMS && !terms.iter().any(|t| t.stem == stem) {
                    terms.push(QueryTerm { stem, word, weight });
                }
            }
        }
        Self { terms }
    }

    pub fn terms(&self) -> &[QueryTerm] {
        &self.terms
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// How a candidate with these [`search_terms`] fits; `None` if it has none of the terms.
    pub fn score(&self, search_terms: &str) -> Option<Match> {
        let have: HashSet<&str> = search_terms.split_whitespace().collect();
        let matched: Vec<&QueryTerm> = self
            .terms
            .iter()
            .filter(|term| have.contains(term.stem.as_str()))
            .collect();
        (!matched.is_empty()).then(|| Match {
            score: matched.iter().map(|t| t.weight).sum(),
            matched_terms: matched.iter().map(|t| t.word.clone()).collect(),
        })
    }

    /// Every score a candidate can have, highest first, with the term sets that reach it
    /// (only the minimal ones: no term can be left out of a set and still reach it). The
    /// last tier is "any term at all".
    pub fn tiers(&self) -> Vec<Tier> {
        let n = self.terms.len();
        let weight = |set: u32| -> u32 {
            (0..n)
                .filter(|i| set & (1 << i) != 0)
                .map(|i| self.terms[i].weight)
                .sum()
        };
        let mut scores: Vec<u32> = (1..1u32 << n).map(weight).collect();
        scores.sort_unstable_by(|a, b| b.cmp(a));
        scores.dedup();
        scores
            .into_iter()
            .map(|min_score| {
                let any_of = (1..1u32 << n)
                    .filter(|&set| weight(set) >= min_score)
                    .filter(|&set| {
                        (0..n)
                            .filter(|i| set & (1 << i) != 0)
                            .all(|i| weight(set & !(1 << i)) < min_score)
                    })
                    .map(|set| {
                        (0..n)
                            .filter(|i| set & (1 << i) != 0)
                            .map(|i| self.terms[i].stem.clone())
                            .collect()
                    })
                    .collect();
                Tier { min_score, any_of }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(title: &str, department: Option<&str>, candidate: &str) -> Option<(u32, Vec<String>)> {
        JobQuery::new(title, department)
            .score(&search_terms([Some(candidate)]))
            .map(|m| (m.score, m.matched_terms))
    }

    /// The rule, case by case: whole words, any case, plurals and common suffixes, title
    /// over department.
    #[test]
    fn the_matching_rule() {
        // (job title, department, candidate, expected score and matched terms)
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            &'a str,
            Option<(u32, &'a [&'a str])>,
        );
        let cases: &[Case] = &[
            // Whole words only: "engineer" is not in "reengineering", "go" not in "google".
            ("Go Engineer", None, "Reengineering at Google", None),
            // Case does not matter.
            (
                "Backend Engineer",
                None,
                "BACKEND ENGINEER",
                Some((4, &["backend", "engineer"])),
            ),
            // Plurals and suffixes: one stem.
            (
                "Data Engineer",
                None,
                "Engineering lead, data platforms",
                Some((4, &["data", "engineer"])),
            ),
            (
                "Designer",
                None,
                "Designers' mentor",
                Some((2, &["designer"])),
            ),
            (
                "Sales Manager",
                None,
                "Managing sales",
                Some((4, &["sales", "manager"])),
            ),
            // Title terms weigh more than department terms.
            (
                "Recruiter",
                Some("People"),
                "Recruiter",
                Some((2, &["recruiter"])),
            ),
            (
                "Recruiter",
                Some("People"),
                "People operations",
                Some((1, &["people"])),
            ),
            // A word in both counts once, as a title term.
            (
                "Platform Engineer",
                Some("Engineering"),
                "Engineers",
                Some((2, &["engineer"])),
            ),
            // Filler words never match.
            ("Head of Sales", None, "Friend of the family", None),
            (
                "Head of Sales",
                None,
                "Head of Growth",
                Some((2, &["head"])),
            ),
            // Punctuation splits words.
            ("Front-end Engineer", None, "frontend/backend", None),
            (
                "Front-end Engineer",
                None,
                "front end dev",
                Some((4, &["front", "end"])),
            ),
        ];
        for (title, department, candidate, expected) in cases {
            let expected =
                expected.map(|(s, words)| (s, words.iter().map(|w| w.to_string()).collect()));
            assert_eq!(
                score(title, *department, candidate),
                expected,
                "{title} / {department:?} against {candidate:?}"
            );
        }
    }

    #[test]
    fn terms_are_distinct_stems_in_order() {
        assert_eq!(
            search_terms([
                Some("Senior Engineers, engineering"),
                None,
                Some("Acme Inc.")
            ]),
            "senior engin acm inc"
        );
        assert_eq!(search_terms([None, Some(" -- ")]), "");
    }

    #[test]
    fn tiers_name_the_minimal_sets_for_each_score() {
        let query = JobQuery::new("Backend Engineer", Some("Platform"));
        let tiers = query.tiers();
        let tiers: Vec<(u32, Vec<Vec<&str>>)> = tiers
            .iter()
            .map(|t| {
                (
                    t.min_score,
                    t.any_of
                        .iter()
                        .map(|s| s.iter().map(String::as_str).collect())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            tiers,
            vec![
                (5, vec![vec!["backend", "engin", "platform"]]),
                (4, vec![vec!["backend", "engin"]]),
                (
                    3,
                    vec![
                        vec!["backend", "engin"],
                        vec!["backend", "platform"],
                        vec!["engin", "platform"]
                    ]
                ),
                (2, vec![vec!["backend"], vec!["engin"]]),
                (1, vec![vec!["backend"], vec!["engin"], vec!["platform"]]),
            ]
        );
    }

    /// Whoever a tier admits can reach its score, and whoever reaches it is admitted.
    #[test]
    fn tiers_agree_with_scores() {
        let query = JobQuery::new("Senior Data Engineer", Some("Data Platform"));
        let candidates = [
            "senior",
            "data",
            "engineer",
            "platform",
            "senior data",
            "senior engineer",
            "data platform",
            "senior data engineer platform",
            "engineer platform",
            "cook",
        ];
        for tier in query.tiers() {
            for candidate in candidates {
                let terms = search_terms([Some(candidate)]);
                let have: HashSet<&str> = terms.split_whitespace().collect();
                let admitted = tier
                    .any_of
                    .iter()
                    .any(|set| set.iter().all(|s| have.contains(s.as_str())));
                let reaches = query
                    .score(&terms)
                    .is_some_and(|m| m.score >= tier.min_score);
                assert_eq!(
                    admitted, reaches,
                    "tier {} and {candidate:?}",
                    tier.min_score
                );
            }
        }
    }
}
