//! The layering rule of ARCHITECTURE.md, kept true: every module of the
//! library lives in one layer folder under `src/`, and it imports only from
//! the layers below its own. Test code (`tests.rs`, `mod tests { … }`, the
//! fake cluster) may reach anywhere. Needs no lab and no root.

use std::fmt;
use std::path::{Path, PathBuf};

/// The layers, bottom to top, as folders of `src/`.
const LAYERS: [&str; 9] = [
    "model",
    "inventory",
    "remote",
    "observe",
    "plan",
    "check",
    "exec",
    "ui",
    "cli",
];

/// Test-only files, which may import from any layer.
fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "tests.rs" || n == "fake.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
}

/// An import of a layer above the importing module's.
#[derive(Debug, PartialEq, Eq)]
struct Upward {
    file: PathBuf,
    line: usize,
    from: &'static str,
    to: &'static str,
}

impl fmt::Display for Upward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: `{}` imports from `{}`, a layer above it",
            self.file.display(),
            self.line,
            self.from,
            self.to
        )
    }
}

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its inline test module and without comments.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|(_, next)| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        out.push((i + 1, code.to_owned()));
    }
    out
}

/// The layers a line of code names through `crate::<layer>`.
fn named_layers(line: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let word: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if let Some(layer) = LAYERS.iter().find(|l| **l == word) {
            found.push(*layer);
        }
        rest = after;
    }
    found
}

/// Every upward import in the library below `src`, and every file that is
/// in no layer folder.
fn check(src: &Path) -> (Vec<Upward>, Vec<PathBuf>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut homeless = Vec::new();
    for file in files {
        let Ok(relative) = file.strip_prefix(src) else {
            continue;
        };
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs");
        let Some(from) = LAYERS.iter().find(|l| **l == top) else {
            if !matches!(top, "lib" | "main" | "bin") {
                homeless.push(relative.to_owned());
            }
            continue;
        };
        if is_test_file(relative) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (line, code) in code_lines(&text) {
            for to in named_layers(&code) {
                if rank(to) > rank(from) {
                    upward.push(Upward {
                        file: relative.to_owned(),
                        line,
                        from,
                        to,
                    });
                }
            }
        }
    }
    (upward, homeless)
}

#[test]
fn layers_only_import_from_the_layers_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (upward, homeless) = check(&src);
    let report: Vec<String> = upward.iter().map(ToString::to_string).collect();
    assert!(
        upward.is_empty(),
        "upward imports (ARCHITECTURE.md, \"Layers\"):\n{}",
        report.join("\n")
    );
    assert!(
        homeless.is_empty(),
        "files outside the layer folders {LAYERS:?}: {homeless:?}"
    );
}

#[test]
fn every_layer_folder_exists() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for layer in LAYERS {
        assert!(src.join(layer).is_dir(), "src/{layer}/ is missing");
    }
}

/// The check itself: an upward import added on purpose is found, named by
/// file and line, and the same import in test code is not.
#[test]
fn a_deliberate_upward_import_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("model")).unwrap();
    std::fs::create_dir_all(src.join("plan/up")).unwrap();
    std::fs::write(
        src.join("model/names.rs"),
        "//! names\n\nuse crate::inventory::Node; // crate::cli in a comment\nuse crate::plan::Plan;\n\n#[cfg(test)]\nmod tests {\n    use crate::cli::run;\n}\n",
    )
    .unwrap();
    std::fs::write(src.join("plan/up/tests.rs"), "use crate::exec::up::up;\n").unwrap();
    std::fs::write(
        src.join("plan/up.rs"),
        "use crate::model::names::NodeName;\n",
    )
    .unwrap();
    std::fs::write(src.join("stray.rs"), "").unwrap();
    let (upward, homeless) = check(src);
    assert_eq!(
        upward,
        vec![
            Upward {
                file: PathBuf::from("model/names.rs"),
                line: 3,
                from: "model",
                to: "inventory",
            },
            Upward {
                file: PathBuf::from("model/names.rs"),
                line: 4,
                from: "model",
                to: "plan",
            },
        ]
    );
    assert_eq!(homeless, vec![PathBuf::from("stray.rs")]);
}
