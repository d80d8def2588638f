//! The layering rule of ARCHITECTURE.md, kept true: every module of the
//! library lives in one layer folder under `src/`, and it reaches only into
//! the layers below its own. Test code may reach anywhere. Needs no lab and
//! no root.
//!
//! The library is read as the compiler reads it, with a real Rust parser
//! (`syn`), not line by line: starting at `src/lib.rs`, every `mod` is
//! followed to its file, so each module knows its own path and whether it
//! is test code (declared under `#[cfg(test)]`, wherever it stands and
//! whatever its file is called). In every other module, every path is
//! resolved to the module it names and judged by its layer:
//!
//! - every `use` tree (`use crate::{ui::x, model::y}`, over any number of
//!   lines), and every path in code (`crate::ui::render::up(..)`), also
//!   inside macro calls (`format!("{}", crate::ui::x())`);
//! - `super::` and `self::`, from the module's own path;
//! - names brought in by `use` (`use crate::ui;` then `ui::render(..)`);
//! - names the crate root re-exports (`crate::run` is `crate::cli::run`).
//!
//! Items under `#[cfg(test)]` (an inline `mod tests`, a test helper) are
//! skipped and nothing else is: code after them is read like any other.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

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

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

/// A path into a layer above the module's own.
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
            "{}:{}: `{}` reaches into `{}`, a layer above it",
            self.file.display(),
            self.line,
            self.from,
            self.to
        )
    }
}

/// A module file of the library, found by following `mod` declarations.
#[derive(Debug)]
struct Module {
    /// Relative to `src/`.
    file: PathBuf,
    /// `["plan", "up"]` for `crate::plan::up`.
    path: Vec<String>,
    /// Declared under `#[cfg(test)]`, here or in a parent module.
    test: bool,
    /// Built only for tests or an opt-in feature (`#[cfg(any(test,
    /// feature = "..."))]`, here or in a parent): the fake cluster that the
    /// unit tests and the fake-cluster bench share. Layered like any code,
    /// but not part of the product, so its size is not held to the limit.
    support: bool,
}

/// Whether the attributes hold `#[cfg(test)]`.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| matches!(m, syn::Meta::Path(p) if p.is_ident("test")))
    })
}

/// Whether the attributes hold `#[cfg(any(test, feature = "..."))]`:
/// code built for the tests and an opt-in feature only.
fn is_cfg_test_support(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>().is_ok_and(|m| match m {
                syn::Meta::List(list) if list.path.is_ident("any") => {
                    let text = list.tokens.to_string();
                    text.split(',').any(|part| part.trim() == "test")
                        && text.split(',').all(|part| {
                            let part = part.trim();
                            part == "test" || part.starts_with("feature")
                        })
                }
                _ => false,
            })
    })
}

/// A `#[path = "..."]` attribute's value.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| {
        let syn::Meta::NameValue(nv) = &a.meta else {
            return None;
        };
        if !nv.path.is_ident("path") {
            return None;
        }
        match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        }
    })
}

fn parse(src: &Path, file: &Path) -> syn::File {
    let text = std::fs::read_to_string(src.join(file))
        .unwrap_or_else(|e| panic!("reading src/{}: {e}", file.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("parsing src/{}: {e}", file.display()))
}

/// Every module file reachable from `src/lib.rs`, with its path and
/// whether it is test code.
fn modules(src: &Path) -> Vec<Module> {
    let mut out = Vec::new();
    let mut queue = vec![Module {
        file: PathBuf::from("lib.rs"),
        path: Vec::new(),
        test: false,
        support: false,
    }];
    while let Some(module) = queue.pop() {
        let ast = parse(src, &module.file);
        // Where `mod x;` looks for x: beside lib.rs and mod.rs, else in the
        // folder named after the file.
        let dir = match module.file.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "mod.rs") => module.file.parent().map(Path::to_path_buf),
            _ => Some(module.file.with_extension("")),
        }
        .unwrap_or_default();
        declared(src, &ast.items, &dir, &module, &mut queue);
        out.push(module);
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// The `mod x;` declarations among `items` (inline modules too, whose own
/// `mod x;` live in a folder of their name), queued as modules.
fn declared(src: &Path, items: &[syn::Item], dir: &Path, parent: &Module, queue: &mut Vec<Module>) {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        let name = m.ident.to_string();
        let test = parent.test || is_cfg_test(&m.attrs);
        let support = parent.support || is_cfg_test_support(&m.attrs);
        let mut path = parent.path.clone();
        path.push(name.clone());
        if let Some((_, inline)) = &m.content {
            let inner = Module {
                file: parent.file.clone(),
                path,
                test,
                support,
            };
            declared(src, inline, &dir.join(&name), &inner, queue);
            continue;
        }
        let file = match path_attr(&m.attrs) {
            Some(p) => dir.join(p),
            None if src.join(dir).join(format!("{name}.rs")).is_file() => {
                dir.join(format!("{name}.rs"))
            }
            None => dir.join(&name).join("mod.rs"),
        };
        queue.push(Module {
            file,
            path,
            test,
            support,
        });
    }
}

/// Turns the module's paths into absolute ones and collects the upward.
struct Walker<'a> {
    module: &'a Module,
    from: &'static str,
    /// Names brought into scope by `use`: name → absolute path.
    imported: BTreeMap<String, Vec<String>>,
    /// What the crate root re-exports: name → absolute path.
    root: &'a BTreeMap<String, Vec<String>>,
    /// The inline module the walker is in, below the file's own.
    inline: Vec<String>,
    found: Vec<Upward>,
}

impl Walker<'_> {
    /// The absolute path `segments` names from here, if it names a module
    /// of this crate.
    fn resolve(&self, segments: &[String]) -> Option<Vec<String>> {
        let mut here: Vec<String> = self.module.path.clone();
        here.extend(self.inline.iter().cloned());
        let first = segments.first()?;
        let mut abs = match first.as_str() {
            "crate" => segments[1..].to_vec(),
            "self" => [here.clone(), segments[1..].to_vec()].concat(),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let keep = here.len().checked_sub(ups)?;
                [here[..keep].to_vec(), segments[ups..].to_vec()].concat()
            }
            // A name brought in by `use`, else (uniform paths) a child
            // module, or something that is no module of the crate at all.
            name => match self.imported.get(name) {
                Some(base) => [base.clone(), segments[1..].to_vec()].concat(),
                None => [here.clone(), segments.to_vec()].concat(),
            },
        };
        // `crate::run` is whatever the root re-exports under that name.
        if let Some(first) = abs.first()
            && rank(first).is_none()
            && let Some(target) = self.root.get(first)
        {
            abs = [target.clone(), abs[1..].to_vec()].concat();
        }
        Some(abs)
    }

    fn judge(&mut self, segments: &[String], line: usize) {
        let Some(abs) = self.resolve(segments) else {
            return;
        };
        let Some(to) = abs.first().and_then(|l| LAYERS.iter().find(|x| **x == l)) else {
            return;
        };
        if rank(to) > rank(self.from) {
            self.found.push(Upward {
                file: self.module.file.clone(),
                line,
                from: self.from,
                to,
            });
        }
    }

    /// Every path of a `use` tree, with what each name it brings in means.
    fn use_tree(&mut self, prefix: &[String], tree: &syn::UseTree, line: usize) {
        let with = |name: &syn::Ident| {
            let mut p = prefix.to_vec();
            p.push(name.to_string());
            p
        };
        match tree {
            syn::UseTree::Path(p) => self.use_tree(&with(&p.ident), &p.tree, line),
            syn::UseTree::Name(n) => {
                let full = if n.ident == "self" {
                    prefix.to_vec()
                } else {
                    with(&n.ident)
                };
                self.bring(&full, full.last().cloned(), line);
            }
            syn::UseTree::Rename(r) => {
                let full = with(&r.ident);
                self.bring(&full, Some(r.rename.to_string()), line);
            }
            syn::UseTree::Glob(_) => self.judge(prefix, line),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree, line);
                }
            }
        }
    }

    fn bring(&mut self, full: &[String], name: Option<String>, line: usize) {
        self.judge(full, line);
        if let (Some(name), Some(abs)) = (name, self.resolve(full)) {
            self.imported.insert(name, abs);
        }
    }

    /// `crate :: x`, `super :: x` and `self :: x` sequences in a macro's
    /// tokens, which syn leaves unparsed.
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => self.tokens(g.stream()),
                TokenTree::Ident(id)
                    if matches!(id.to_string().as_str(), "crate" | "super" | "self") =>
                {
                    let line = id.span().start().line;
                    let mut segments = vec![id.to_string()];
                    let mut j = i + 1;
                    while let (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(next)),
                    ) = (trees.get(j), trees.get(j + 1), trees.get(j + 2))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        segments.push(next.to_string());
                        j += 3;
                    }
                    if segments.len() > 1 {
                        self.judge(&segments, line);
                    }
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

fn idents(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Type(t) => &t.attrs,
            syn::Item::Macro(m) => &m.attrs,
            _ => &[],
        };
        if is_cfg_test(attrs) {
            return;
        }
        match item {
            syn::Item::Use(u) => {
                let line = u.use_token.span.start().line;
                self.use_tree(&[], &u.tree, line);
            }
            syn::Item::Mod(m) if m.content.is_some() => {
                self.inline.push(m.ident.to_string());
                syn::visit::visit_item(self, item);
                self.inline.pop();
            }
            _ => syn::visit::visit_item(self, item),
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_cfg_test(&f.attrs) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        if let syn::Stmt::Item(item) = stmt {
            return self.visit_item(item);
        }
        syn::visit::visit_stmt(self, stmt);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if let Some(first) = path.segments.first() {
            let line = first.ident.span().start().line;
            self.judge(&idents(path), line);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

/// What the crate root re-exports (`pub use cli::run;`): name → path.
fn root_exports(src: &Path) -> BTreeMap<String, Vec<String>> {
    let ast = parse(src, Path::new("lib.rs"));
    let root = Module {
        file: PathBuf::from("lib.rs"),
        path: Vec::new(),
        test: false,
        support: false,
    };
    let empty = BTreeMap::new();
    let mut walker = Walker {
        module: &root,
        from: "cli",
        imported: BTreeMap::new(),
        root: &empty,
        inline: Vec::new(),
        found: Vec::new(),
    };
    for item in &ast.items {
        if let syn::Item::Use(u) = item {
            walker.use_tree(&[], &u.tree, 0);
        }
    }
    walker.imported
}

/// Every upward path in the library below `src`, and every `.rs` file that
/// is in no layer folder (nor `lib.rs`, `main.rs` or `bin/`).
fn check(src: &Path) -> (Vec<Upward>, Vec<PathBuf>) {
    let root = root_exports(src);
    let mut upward = Vec::new();
    for module in modules(src) {
        let Some(from) = module
            .path
            .first()
            .and_then(|top| LAYERS.iter().find(|l| *l == top))
        else {
            continue;
        };
        if module.test {
            continue;
        }
        let ast = parse(src, &module.file);
        let mut walker = Walker {
            module: &module,
            from,
            imported: BTreeMap::new(),
            root: &root,
            inline: Vec::new(),
            found: Vec::new(),
        };
        // Names a module brings in by `use` are known before the code
        // that uses them, wherever the `use` stands.
        for item in &ast.items {
            if let syn::Item::Use(u) = item
                && !is_cfg_test(&u.attrs)
            {
                walker.use_tree(&[], &u.tree, 0);
            }
        }
        walker.found.clear();
        walker.visit_file(&ast);
        upward.append(&mut walker.found);
    }
    upward.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    upward.dedup();
    (upward, homeless(src))
}

fn homeless(src: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out: Vec<PathBuf> = files
        .into_iter()
        .filter_map(|f| f.strip_prefix(src).ok().map(Path::to_path_buf))
        .filter(|rel| {
            let top = rel
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .unwrap_or_default()
                .trim_end_matches(".rs")
                .to_owned();
            !LAYERS.contains(&top.as_str()) && !matches!(top.as_str(), "lib" | "main" | "bin")
        })
        .collect();
    out.sort();
    out
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

#[test]
fn layers_only_import_from_the_layers_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (upward, homeless) = check(&src);
    let report: Vec<String> = upward.iter().map(ToString::to_string).collect();
    assert!(
        upward.is_empty(),
        "upward paths (ARCHITECTURE.md, \"Layers\"):\n{}",
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

/// A library in a temporary `src/`: `lib.rs` declares `model`, `plan`,
/// `exec` and `cli` (the root re-exports `cli::run`), `plan/mod.rs`
/// declares `up` and a test module; `plan/up.rs` is `body`.
fn library(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    let write = |file: &str, text: &str| {
        let path = src.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "lib.rs",
        "mod model;\nmod plan;\nmod exec;\npub mod cli;\npub use cli::run;\n",
    );
    write("model/mod.rs", "pub(crate) struct Name;\n");
    write("exec/mod.rs", "pub(crate) fn up() {}\n");
    write("cli/mod.rs", "pub fn run() {}\n");
    write(
        "plan/mod.rs",
        "mod up;\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod checks;\n",
    );
    write("plan/tests.rs", "use crate::cli::run;\n");
    write("plan/checks/mod.rs", "use crate::exec::up;\n");
    write("plan/up.rs", body);
    dir
}

/// The upward paths of a `plan/up.rs` with `body`, as (line, layer).
fn upward_in(body: &str) -> Vec<(usize, &'static str)> {
    let dir = library(body);
    let (upward, homeless) = check(dir.path());
    assert!(homeless.is_empty(), "{homeless:?}");
    upward
        .into_iter()
        .inspect(|u| assert_eq!(u.file, PathBuf::from("plan/up.rs"), "{u}"))
        .map(|u| (u.line, u.to))
        .collect()
}

/// Each of the forms an upward import takes when written by mistake is
/// found, by file, line and layer (issue #29: the line-based check found
/// only the first).
#[test]
fn every_form_of_an_upward_import_is_found() {
    type Case = (&'static str, &'static str, Vec<(usize, &'static str)>);
    let cases: &[Case] = &[
        ("a plain use", "use crate::exec::up;\n", vec![(1, "exec")]),
        (
            "a use group",
            "use crate::{model::Name, exec::up};\n",
            vec![(1, "exec")],
        ),
        (
            "an import over several lines",
            "use crate::{\n    model::Name,\n    exec::{\n        up,\n    },\n};\n",
            vec![(1, "exec")],
        ),
        (
            "super::super",
            "fn f() {\n    super::super::exec::up();\n}\n",
            vec![(2, "exec")],
        ),
        (
            "a root re-export",
            "fn f() {\n    crate::run();\n}\n",
            vec![(2, "cli")],
        ),
        (
            "after a string holding //",
            "const URL: &str = \"http://x\"; use crate::exec::up;\n",
            vec![(1, "exec")],
        ),
        (
            "after an early test module",
            "#[cfg(test)]\nmod tests {\n    use crate::cli::run;\n}\n\nuse crate::exec::up;\n",
            vec![(6, "exec")],
        ),
        (
            "a name brought in by use, then used in code",
            "use crate::exec;\n\nfn f() {\n    exec::up();\n}\n",
            vec![(1, "exec"), (4, "exec")],
        ),
        (
            "inside a macro call",
            "fn f() {\n    println!(\"{:?}\", crate::exec::up());\n}\n",
            vec![(2, "exec")],
        ),
        (
            "super:: paths out of an inline module",
            "mod inner {\n    fn f() {\n        super::super::super::cli::run();\n    }\n}\n",
            vec![(3, "cli")],
        ),
    ];
    for (what, body, want) in cases {
        assert_eq!(&upward_in(body), want, "{what}:\n{body}");
    }
}

/// Test code reaches anywhere: inline test modules, test helpers and files
/// declared under `#[cfg(test)]`, whatever they are called. A file in a
/// folder named `tests` that is not declared so is checked like any other.
#[test]
fn test_code_is_told_by_its_declaration_not_its_name() {
    assert!(upward_in("#[cfg(test)]\nuse crate::cli::run;\n").is_empty());
    assert!(upward_in("#[cfg(test)]\nfn helper() {\n    crate::exec::up();\n}\n").is_empty());
    assert!(upward_in("use crate::model::Name;\nfn f() {\n    super::Name;\n}\n").is_empty());

    let dir = library("");
    let src = dir.path();
    std::fs::write(src.join("plan/mod.rs"), "mod up;\nmod tests;\n").expect("write");
    std::fs::create_dir_all(src.join("plan/tests")).expect("mkdir");
    std::fs::rename(src.join("plan/tests.rs"), src.join("plan/tests/mod.rs")).expect("mv");
    let (upward, _) = check(src);
    assert_eq!(
        upward,
        vec![Upward {
            file: PathBuf::from("plan/tests/mod.rs"),
            line: 1,
            from: "plan",
            to: "cli",
        }],
        "a non-test module in a folder named tests"
    );
}

#[test]
fn a_file_outside_the_layer_folders_is_named() {
    let dir = library("");
    std::fs::write(dir.path().join("stray.rs"), "").expect("write");
    let (_, homeless) = check(dir.path());
    assert_eq!(homeless, vec![PathBuf::from("stray.rs")]);
}

/// The most lines a module file's non-test part may have (issue #29: one
/// concept per file).
const MOST_LINES: usize = 800;

/// The lines of a file that are not test code: all its lines but those of
/// its items declared under `#[cfg(test)]` (an inline `mod tests`, a test
/// helper), attributes and doc comments included.
fn non_test_lines(text: &str) -> usize {
    use syn::spanned::Spanned;
    let ast = syn::parse_file(text).expect("parses");
    let test: usize = ast
        .items
        .iter()
        .filter(|item| {
            let attrs: &[syn::Attribute] = match item {
                syn::Item::Mod(m) => &m.attrs,
                syn::Item::Fn(f) => &f.attrs,
                syn::Item::Use(u) => &u.attrs,
                syn::Item::Struct(s) => &s.attrs,
                syn::Item::Enum(e) => &e.attrs,
                syn::Item::Impl(i) => &i.attrs,
                syn::Item::Const(c) => &c.attrs,
                syn::Item::Static(s) => &s.attrs,
                syn::Item::Macro(m) => &m.attrs,
                syn::Item::Trait(t) => &t.attrs,
                syn::Item::Type(t) => &t.attrs,
                _ => &[],
            };
            is_cfg_test(attrs)
        })
        .map(|item| {
            let span = item.span();
            span.end().line - span.start().line + 1
        })
        .sum();
    text.lines().count() - test
}

#[test]
fn no_module_file_holds_more_than_800_lines_of_non_test_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut over: Vec<String> = modules(&src)
        .iter()
        .filter(|m| !m.test && !m.support)
        .filter_map(|m| {
            let text = std::fs::read_to_string(src.join(&m.file)).expect("read");
            let lines = non_test_lines(&text);
            (lines > MOST_LINES).then(|| format!("src/{}: {lines} lines", m.file.display()))
        })
        .collect();
    over.sort();
    assert!(
        over.is_empty(),
        "over {MOST_LINES} lines of non-test code (split by concept, ARCHITECTURE.md):\n{}",
        over.join("\n")
    );
}

#[test]
fn test_code_does_not_count_towards_a_file_s_size() {
    let code = "pub fn a() {}\n".repeat(10);
    let tests = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n";
    let helper = "/// Only for tests.\n#[cfg(test)]\nfn helper() {}\n";
    assert_eq!(non_test_lines(&code), 10);
    assert_eq!(non_test_lines(&format!("{code}{tests}")), 10);
    // A test item in the middle: the code after it counts.
    assert_eq!(non_test_lines(&format!("{code}{helper}{code}")), 20);
    // A `cfg(test)` that is not alone (`cfg(not(test))`) is code.
    let attrs = |src: &str| syn::parse_str::<syn::ItemMod>(src).expect("mod").attrs;
    assert!(is_cfg_test_support(&attrs(
        "#[cfg(any(test, feature = \"fake-bench\"))] mod fake;"
    )));
    assert!(!is_cfg_test_support(&attrs(
        "#[cfg(any(test, unix))] mod x;"
    )));
    assert!(!is_cfg_test_support(&attrs(
        "#[cfg(feature = \"x\")] mod x;"
    )));
    let not_test = "#[cfg(not(test))]\nfn real() {}\n";
    assert_eq!(non_test_lines(&format!("{code}{not_test}")), 12);
}
