//! The README's and the justfile's promises: `just --list` reads as a
//! manual, and the documented commands that need no VMs work on a lab
//! standing in for the Vagrant VMs.

mod common;

use common::{Lab, Swarmadm, ids};

#[test]
fn just_list_describes_every_recipe() {
    let out = Swarmadm::just().arg("--list").success();
    let text = &out.stdout;
    for recipe in [
        "demo",
        "lab-up",
        "lab-down",
        "vagrant",
        "swarm-up",
        "swarm-verify",
        "swarm-down",
        "up",
        "down",
        "clean",
        "test",
        "test-scale",
        "bench",
        "lint",
        "status",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{recipe} ")) || l.trim() == recipe)
            .unwrap_or_else(|| panic!("`just --list` lacks {recipe}:\n{text}"));
        assert!(line.contains('#'), "{recipe} has no description: {line}");
    }
    assert!(
        text.contains("smoketest"),
        "alias smoketest missing:\n{text}"
    );
}

#[test]
fn the_readme_documents_both_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains("just demo"));
    assert!(readme.contains("just test"));
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    assert!(ci.contains("just test"));
}

#[test]
fn just_swarm_up_and_swarm_verify_work_on_a_lab() {
    common::require_root();
    let lab = Lab::up(ids::README_JUST_RECIPES, 3, 3);
    let inv = &lab.inventory_toml;
    let up = Swarmadm::just().arg("swarm-up").arg(inv).success();
    assert!(up.stdout.contains("converged"));
    let verify = Swarmadm::just().arg("smoketest").arg(inv).success();
    assert!(verify.stdout.contains("PASS"));
    // `just status INVENTORY --output json`.
    let status = Swarmadm::just().arg("status").arg(inv).json().success();
    assert_eq!(status.json()["nodes"].as_array().map(Vec::len), Some(6));
}

/// The README stays a short entry point (at most 200 lines, with the two
/// commands), links every page of docs/, and no relative link in it or in
/// docs/ leads nowhere: the file must exist and, for a markdown file, so
/// must the heading an anchor names.
#[test]
fn the_readme_is_short_and_every_doc_link_resolves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("README.md is readable");
    let lines = readme.lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines; keep it at most 200 and move details to docs/"
    );
    for needle in ["cargo install just --locked", "just demo", "just test"] {
        assert!(
            readme.contains(needle),
            "README.md does not mention `{needle}`"
        );
    }

    let mut docs: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .map(|entry| entry.expect("docs/ entry is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    assert!(!docs.is_empty(), "docs/ has no markdown pages");

    let readme_links = markdown::links(&readme);
    for doc in &docs {
        let name = doc.file_name().unwrap_or_default().to_string_lossy();
        let wanted = format!("docs/{name}");
        assert!(
            readme_links
                .iter()
                .any(|link| link.split('#').next() == Some(wanted.as_str())),
            "README.md does not link {wanted}"
        );
    }

    let mut broken = Vec::new();
    for file in std::iter::once(&readme_path).chain(&docs) {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        for target in markdown::links(&text) {
            if let Some(problem) = markdown::check_link(file, &target) {
                let shown = file.strip_prefix(root).unwrap_or(file);
                broken.push(format!("{}: ({target}): {problem}", shown.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// Just enough markdown for the link check: prose outside fenced code
/// blocks, link targets outside code spans, and headings with the anchors
/// GitHub gives them.
mod markdown {
    use std::collections::HashMap;
    use std::path::Path;

    /// The lines outside fenced code blocks (a `#` there is a comment, and
    /// `](` is not a link).
    fn prose(text: &str) -> Vec<&str> {
        let mut fenced = false;
        let mut lines = Vec::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                fenced = !fenced;
            } else if !fenced {
                lines.push(line);
            }
        }
        lines
    }

    /// GitHub's anchor for a heading: lower case, spaces become `-`, and
    /// every character but letters, digits, `-` and `_` is dropped.
    fn slug(heading: &str) -> String {
        heading
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The anchors of a file's headings; a repeated heading gets `-1`,
    /// `-2`, … as on GitHub.
    fn anchors(text: &str) -> Vec<String> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut anchors = Vec::new();
        for line in prose(text) {
            let hashes = line.len() - line.trim_start_matches('#').len();
            if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
                continue;
            }
            let base = slug(&line[hashes..]);
            let count = seen.entry(base.clone()).or_insert(0);
            anchors.push(if *count == 0 {
                base
            } else {
                format!("{base}-{count}")
            });
            *count += 1;
        }
        anchors
    }

    /// The target of every inline link `[text](target)` and image, in
    /// order. Code spans are dropped first, across line breaks too, since
    /// they may spell `](` without being a link.
    pub fn links(text: &str) -> Vec<String> {
        let joined = prose(text).join("\n");
        let mut in_code = false;
        let plain: String = joined
            .chars()
            .filter(|&c| {
                if c == '`' {
                    in_code = !in_code;
                    false
                } else {
                    !in_code
                }
            })
            .collect();
        let mut links = Vec::new();
        let mut rest = plain.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            if let Some(target) = after[..end].split_whitespace().next() {
                links.push(target.to_owned());
            }
            rest = &after[end..];
        }
        links
    }

    /// Why the link from `file` to `target` leads nowhere, or `None` when
    /// it is fine (or not relative: web links are not checked).
    pub fn check_link(file: &Path, target: &str) -> Option<String> {
        if ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| target.starts_with(scheme))
        {
            return None;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((path, anchor)) => (path, Some(anchor)),
            None => (target, None),
        };
        let dest = if path.is_empty() {
            file.to_path_buf()
        } else {
            file.parent().unwrap_or(Path::new(".")).join(path)
        };
        if !dest.exists() {
            return Some(format!("{} does not exist", dest.display()));
        }
        let anchor = anchor?;
        if !dest.is_file() || dest.extension().is_none_or(|ext| ext != "md") {
            return None;
        }
        let text = match std::fs::read_to_string(&dest) {
            Ok(text) => text,
            Err(e) => return Some(format!("cannot read {}: {e}", dest.display())),
        };
        if anchors(&text).iter().any(|a| a == anchor) {
            None
        } else {
            Some(format!(
                "{} has no heading with the anchor #{anchor}",
                dest.display()
            ))
        }
    }
}
