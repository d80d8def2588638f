//! Test support shared by swarmadm's unit tests (`src/ui/json.rs`) and its
//! integration tests (`tests/common`): validation of a JSON document
//! against the project's published schemas (`schemas/NAME.schema.json`,
//! draft 2020-12), with boon. It owns no schema and knows no command: the
//! caller names the folder and the schema.

use std::path::Path;

use serde_json::Value;

/// Validates `json` against `DIR/NAME.schema.json`; the error lists every
/// violation. The schema files name each other by their `$id`s (a document
/// schema refers to `common.schema.json`): every file of `dir` is loaded
/// under its `$id` first.
pub fn validate(dir: &Path, name: &str, json: &Value) -> Result<(), String> {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let file = format!("{name}.schema.json");
    let mut wanted = None;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let schema: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let id = schema["$id"]
            .as_str()
            .ok_or_else(|| format!("{}: no `$id`", path.display()))?
            .to_owned();
        if path.file_name().and_then(|n| n.to_str()) == Some(file.as_str()) {
            wanted = Some(id.clone());
        }
        compiler
            .add_resource(&id, schema)
            .map_err(|e| format!("{id}: {e:#}"))?;
    }
    let id = wanted.ok_or_else(|| format!("no {file} in {}", dir.display()))?;
    let index = compiler
        .compile(&id, &mut schemas)
        .map_err(|e| format!("{id}: {e:#}"))?;
    schemas.validate(json, index).map_err(|e| format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::validate;

    /// A folder with a shared definition and a document schema that uses it.
    fn schemas() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let files = [
            (
                "common.schema.json",
                r#"{"$schema":"https://json-schema.org/draft/2020-12/schema",
                    "$id":"https://t.invalid/common.schema.json",
                    "$defs":{"n":{"type":"integer","minimum":0}}}"#,
            ),
            (
                "doc.schema.json",
                r#"{"$schema":"https://json-schema.org/draft/2020-12/schema",
                    "$id":"https://t.invalid/doc.schema.json",
                    "type":"object","required":["n"],
                    "properties":{"n":{"$ref":"common.schema.json#/$defs/n"}}}"#,
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("schema file");
        }
        dir
    }

    #[test]
    fn a_document_is_checked_against_the_named_schema_and_its_references() {
        let dir = schemas();
        assert_eq!(
            validate(dir.path(), "doc", &serde_json::json!({"n": 3})),
            Ok(())
        );
        let err = validate(dir.path(), "doc", &serde_json::json!({"n": -1}))
            .expect_err("a negative n breaks the shared definition");
        assert!(err.contains("minimum"), "{err}");
        let err = validate(dir.path(), "nope", &serde_json::json!({})).expect_err("no such schema");
        assert!(err.contains("no nope.schema.json"), "{err}");
    }
}
