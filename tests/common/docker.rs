//! A minimal Docker Engine API client over a node's host-side socket, so
//! that tests check the cluster independently of swarmadm (and change it
//! "by hand" to introduce drift).

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The Docker API of one lab node, through its socket on the host.
#[derive(Debug, Clone)]
pub struct Api {
    pub socket: PathBuf,
}

impl Api {
    pub fn new(socket: impl AsRef<Path>) -> Api {
        Api {
            socket: socket.as_ref().to_owned(),
        }
    }

    /// Sends one request; returns the status code and the body.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        super::http_request(&self.socket, method, &format!("/v1.41{path}"), &body)
            .unwrap_or_else(|e| panic!("{method} {path} on {}: {e}", self.socket.display()))
    }

    pub fn get(&self, path: &str) -> Value {
        let (status, body) = self.request("GET", path, None);
        assert!(status < 300, "GET {path}: {status} {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    pub fn post(&self, path: &str, body: &Value) -> String {
        let (status, text) = self.request("POST", path, Some(body));
        assert!(status < 300, "POST {path}: {status} {text}");
        text
    }

    /// `POST /swarm/leave?force=true`, then waits until the node says it
    /// is out: the engine may drop the connection while it leaves.
    pub fn leave_swarm(&self) {
        let _ = super::http_request(&self.socket, "POST", "/v1.41/swarm/leave?force=true", "{}");
        super::wait_until(
            "the node to leave its swarm",
            std::time::Duration::from_secs(60),
            || self.info()["Swarm"]["LocalNodeState"] == "inactive",
        );
    }

    pub fn info(&self) -> Value {
        self.get("/info")
    }

    pub fn nodes(&self) -> Vec<Value> {
        match self.get("/nodes") {
            Value::Array(nodes) => nodes,
            other => panic!("/nodes: {other}"),
        }
    }

    /// Changes a node's spec through this (manager) node: `f` edits the
    /// current spec.
    pub fn update_node(&self, node_id: &str, f: impl Fn(&mut Value)) {
        let node = self.get(&format!("/nodes/{node_id}"));
        let version = node["Version"]["Index"].as_u64().expect("version");
        let mut spec = node["Spec"].clone();
        f(&mut spec);
        self.post(&format!("/nodes/{node_id}/update?version={version}"), &spec);
    }
}

/// The node list entry with this hostname.
pub fn by_hostname<'a>(nodes: &'a [Value], hostname: &str) -> Vec<&'a Value> {
    nodes
        .iter()
        .filter(|n| n["Description"]["Hostname"] == hostname)
        .collect()
}

impl super::Lab {
    /// The Docker API of a lab node, through its host-side socket.
    pub fn api(&self, hostname: &str) -> Api {
        Api::new(self.socket(hostname))
    }

    /// The NodeID a lab node's own `/info` reports.
    pub fn node_id(&self, hostname: &str) -> String {
        self.api(hostname).info()["Swarm"]["NodeID"]
            .as_str()
            .unwrap_or_else(|| panic!("{hostname} reports no NodeID"))
            .to_owned()
    }

    /// The lab's TOML inventory with absolute paths, so that a copy can live
    /// in another directory.
    pub fn inventory_text(&self) -> String {
        let text = std::fs::read_to_string(&self.inventory_toml).expect("read lab inventory");
        text.replace(
            "\"id_ed25519\"",
            &format!("\"{}\"", self.dir.join("id_ed25519").display()),
        )
        .replace(
            "\"known_hosts\"",
            &format!("\"{}\"", self.known_hosts.display()),
        )
    }

    /// A copy of the lab's inventory in `dir` with `labels` on `node`.
    pub fn inventory_with_labels(
        &self,
        dir: &Path,
        node: &str,
        labels: &[(&str, &str)],
    ) -> PathBuf {
        let table: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k} = \"{v}\""))
            .collect();
        let marker = format!("name = \"{node}\"\n");
        let text = self.inventory_text().replace(
            &marker,
            &format!("{marker}labels = {{ {} }}\n", table.join(", ")),
        );
        let path = dir.join("labelled.toml");
        std::fs::write(&path, text).expect("write inventory");
        path
    }

    /// A copy of the lab's inventory in `dir` without `node`.
    pub fn inventory_without(&self, dir: &Path, node: &str) -> PathBuf {
        let text = self.inventory_text();
        let blocks: Vec<&str> = text.split("[[nodes]]").collect();
        let kept: Vec<&str> = blocks
            .iter()
            .enumerate()
            .filter(|(i, b)| *i == 0 || !b.contains(&format!("name = \"{node}\"")))
            .map(|(_, b)| *b)
            .collect();
        let path = dir.join("without.toml");
        std::fs::write(&path, kept.join("[[nodes]]")).expect("write inventory");
        path
    }
}

/// The image `lab up` loads into every node: Debian's static busybox
/// (package `busybox-static`) as `/bin/busybox`, nothing else.
pub const TEST_IMAGE: &str = swarmadm_lab::LAB_IMAGE;

impl super::Lab {
    /// Checks, through every node's own engine, that `lab up` loaded
    /// [`TEST_IMAGE`] (lab nodes cannot pull images). Panics with the cause
    /// when it did not (busybox-static not installed).
    pub fn check_test_image(&self) {
        for node in &self.nodes {
            let (status, body) =
                self.engine_get(&node.hostname, &format!("/v1.41/images/{TEST_IMAGE}/json"));
            assert_eq!(
                status, 200,
                "{TEST_IMAGE} on {} (`lab up` loads it from /bin/busybox: apt-get install \
                 busybox-static): {body}",
                node.hostname
            );
        }
    }
}
