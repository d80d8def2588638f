//! Validation of a JSON document against the project's schemas
//! (`schemas/NAME.schema.json`), with boon. One file for both kinds of
//! tests: the integration tests use it as `common::schema`, the crate's
//! unit tests include it by path (`crate::ui::json`).

use serde_json::Value;

/// Validates `json` against `schemas/NAME.schema.json`; the error lists
/// every violation.
pub fn validate(name: &str, json: &Value) -> Result<(), String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    // The files name each other by their `$id`s: load them all under those.
    let mut wanted = None;
    for entry in std::fs::read_dir(&dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let schema: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let id = schema["$id"].as_str().unwrap_or_default().to_owned();
        if path.file_name().and_then(|n| n.to_str()) == Some(&format!("{name}.schema.json")) {
            wanted = Some(id.clone());
        }
        compiler
            .add_resource(&id, schema)
            .map_err(|e| format!("{id}: {e:#}"))?;
    }
    let id = wanted.ok_or_else(|| format!("no schemas/{name}.schema.json"))?;
    let index = compiler
        .compile(&id, &mut schemas)
        .map_err(|e| format!("{id}: {e:#}"))?;
    schemas.validate(json, index).map_err(|e| format!("{e:#}"))
}
