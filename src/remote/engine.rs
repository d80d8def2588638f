//! The Docker Engine API of one node, spoken through that node's tunnel:
//! `/info`, the node list, swarm inspect (join tokens), swarm init and join,
//! and node updates.
//!
//! Every request goes through one hyper client over the tunnel
//! ([`exchange`]), and every reply is read as a stream with a cap
//! ([`reply_cap`]): lists that grow with the cluster (nodes, tasks,
//! services) may take [`LIST_REPLY_CAP`], anything else [`REPLY_CAP`]. A
//! reply over its cap, or one that is not HTTP, is a
//! [`ErrorKind::BrokenEngine`] of that node alone, and one that never ends is
//! cut by the request timeout. bollard gives the models (decoded here with
//! serde) and the API version type, not the transport: its `Docker` client
//! buffers whole bodies without a limit. The answers that grow with the
//! swarm, `/info` and the node list, are decoded to the fields swarmadm
//! reads only ([`decode`]).
//!
//! Init and join are sent as our own JSON, because bollard's models lack
//! `Availability`, which makes a node join already drained; swarm inspect is
//! decoded into our own type so that the join tokens are parsed straight
//! into [`Secret`]s and never sit in a `Debug`-printable model. Engine error
//! messages are scrubbed of anything that looks like a join token before
//! they go anywhere.

use std::sync::Arc;
use std::time::Duration;

use bollard::ClientVersion;
use bollard::models::{NodeSpec, NodeSpecAvailabilityEnum, NodeSpecRoleEnum};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Bytes;
use serde::Deserialize;

use crate::model::names::Availability;
use crate::model::secret::Secret;
use crate::model::swarm::*;
use crate::remote::ssh::Connection;
use crate::remote::tunnel::{self, HttpClient};

/// The most bytes read of a reply that lists the cluster's objects (`GET
/// /nodes`, `/tasks`, `/services`, `/networks`): 32 MiB. A node's entry in
/// `GET /nodes` is about 1.8 KiB (most of it the node's TLS certificate;
/// measured by `tests/bounded.rs`), rarely over 3 KiB, so a list of 10,000
/// nodes fits. An endless reply holds at most this much before it fails.
pub(crate) const LIST_REPLY_CAP: usize = 32 * 1024 * 1024;

/// The most bytes read of any other reply (`/info`, `/swarm`, `/version`,
/// an update's answer, a probe's output): 4 MiB, about 500 times a large
/// manager's `/info`.
pub(crate) const REPLY_CAP: usize = 4 * 1024 * 1024;

/// The cap of the reply to `call` (`"GET /nodes"`, say).
pub(crate) fn reply_cap(call: &str) -> usize {
    let path = call.split_once(' ').map_or(call, |(_, path)| path);
    let listing = [
        "/nodes",
        "/tasks",
        "/services",
        "/networks",
        "/containers/json",
    ];
    if call.starts_with("GET ") && listing.contains(&path) {
        LIST_REPLY_CAP
    } else {
        REPLY_CAP
    }
}

/// One node's engine, reached through its SSH connection.
#[derive(Clone)]
pub(crate) struct Engine {
    /// The API version requests are sent in.
    version: ClientVersion,
    http: HttpClient,
    timeout: Duration,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("api_version", &self.api_version())
            .finish()
    }
}

impl Engine {
    /// Negotiates the API version over `http` (`GET /version`), whose
    /// pooled channels every later request of this engine reuses.
    async fn over(http: HttpClient, timeout: Duration) -> Result<Engine, EngineError> {
        #[derive(Deserialize)]
        struct Version {
            #[serde(rename = "ApiVersion", default)]
            api_version: String,
        }
        let bytes = raw_request(
            &http,
            timeout,
            "GET /version",
            "GET",
            "http://docker.sock/version",
            None,
        )
        .await?;
        let answer: Version = serde_json::from_slice(&bytes).map_err(|e| {
            EngineError::unreadable("GET /version", format!("unreadable answer: {e}"))
        })?;
        let server = parse_version(&answer.api_version).ok_or_else(|| {
            EngineError::unreadable(
                "GET /version",
                format!("unreadable API version `{}`", answer.api_version),
            )
        })?;
        Ok(Engine {
            version: usable_version(server),
            http,
            timeout,
        })
    }

    /// Reads the node's `/info` and builds the client from its answer: the
    /// request goes out unversioned (the engine answers in its own API
    /// version, whose `/info` fields we read are the same since 1.24), and
    /// the engine names that version in the answer's `Api-Version` header,
    /// so no `GET /version` is needed to negotiate (it costs a round trip
    /// far away, and on 20.10 it runs `runc --version` and `docker-init
    /// --version` on the node, as `/info` does). An answer without the
    /// header (a proxy in between, say) falls back to negotiating. The
    /// channels stay in the engine's pool for the requests that follow.
    ///
    /// With `view` (a node the inventory calls a manager), the node list
    /// and the swarm object are asked for at the same time too, so that
    /// observing a swarm far away does not wait one more round trip for
    /// them after every `/info` is in. On a node that turns out not to be
    /// a manager they fail harmlessly and are not used.
    pub(crate) async fn connect_with_info(
        connection: Arc<Connection>,
        socket: &str,
        timeout: Duration,
        view: bool,
    ) -> Result<(Engine, EngineInfo, Option<ViewRead>), EngineError> {
        let http = tunnel::http_client(Arc::clone(&connection), socket);
        let info = exchange(
            &http,
            timeout,
            "GET /info",
            "GET",
            "http://docker.sock/info",
            None,
        );
        let read_view = async {
            if !view {
                return None;
            }
            let (nodes, swarm) = tokio::join!(
                raw_request(
                    &http,
                    timeout,
                    "GET /nodes",
                    "GET",
                    "http://docker.sock/nodes",
                    None
                ),
                raw_request(
                    &http,
                    timeout,
                    "GET /swarm",
                    "GET",
                    "http://docker.sock/swarm",
                    None
                ),
            );
            Some(ViewRead {
                nodes: nodes.and_then(|bytes| parse_nodes(&bytes)),
                swarm: swarm.and_then(|bytes| parse_swarm(&bytes)),
            })
        };
        let (info, view) = tokio::join!(info, read_view);
        let (info, server_version) = info?;
        let engine = match server_version {
            Some(server) => Engine {
                version: usable_version(server),
                http,
                timeout,
            },
            None => Engine::over(http, timeout).await?,
        };
        let info = parse_info(&info, engine.api_version())?;
        Ok((engine, info, view))
    }

    /// The negotiated API version, e.g. `1.41`.
    pub(crate) fn api_version(&self) -> String {
        self.version.to_string()
    }

    pub(crate) async fn info(&self) -> Result<EngineInfo, EngineError> {
        let bytes = self.raw("GET /info", "GET", "/info", None).await?;
        parse_info(&bytes, self.api_version())
    }

    /// The swarm's node list (managers only).
    pub(crate) async fn nodes(&self) -> Result<Vec<SwarmNode>, EngineError> {
        let bytes = self.raw("GET /nodes", "GET", "/nodes", None).await?;
        parse_nodes(&bytes)
    }

    /// The entries of the node list that `filter` names (managers only).
    pub(crate) async fn nodes_where(
        &self,
        filter: &NodeFilter,
    ) -> Result<Vec<SwarmNode>, EngineError> {
        let path = format!("/nodes?filters={}", percent_encode(&filter.to_query()));
        let bytes = self.raw("GET /nodes", "GET", &path, None).await?;
        parse_nodes(&bytes)
    }

    /// The cluster ID and join tokens (managers only).
    pub(crate) async fn swarm(&self) -> Result<SwarmInspect, EngineError> {
        let bytes = self.raw("GET /swarm", "GET", "/swarm", None).await?;
        parse_swarm(&bytes)
    }

    /// Updates the swarm's spec at `version` (managers only); an update
    /// raced by another writer fails with [`ErrorKind::OutOfSequence`].
    pub(crate) async fn update_swarm(
        &self,
        version: u64,
        spec: &serde_json::Value,
    ) -> Result<(), EngineError> {
        let body = serde_json::to_vec(spec)
            .map_err(|e| EngineError::unreadable("POST /swarm/update", e))?;
        let path = format!("/swarm/update?version={version}");
        self.raw("POST /swarm/update", "POST", &path, Some(body))
            .await
            .map(drop)
    }

    /// Updates the swarm's spec at `version` and rotates what `rotation`
    /// names (managers only).
    pub(crate) async fn update_swarm_rotating(
        &self,
        version: u64,
        spec: &serde_json::Value,
        rotation: Rotation,
    ) -> Result<(), EngineError> {
        let body = serde_json::to_vec(spec)
            .map_err(|e| EngineError::unreadable("POST /swarm/update", e))?;
        let path = format!(
            "/swarm/update?version={version}&rotateWorkerToken={}&rotateManagerToken={}&rotateManagerUnlockKey={}",
            rotation.worker_token, rotation.manager_token, rotation.unlock_key
        );
        self.raw("POST /swarm/update", "POST", &path, Some(body))
            .await
            .map(drop)
    }

    /// `GET /swarm/unlockkey` (managers only): the key, or `None` when
    /// autolock is off.
    pub(crate) async fn unlock_key(&self) -> Result<Option<Secret>, EngineError> {
        #[derive(Deserialize)]
        struct UnlockKey {
            #[serde(rename = "UnlockKey", default)]
            key: String,
        }
        let bytes = self
            .raw("GET /swarm/unlockkey", "GET", "/swarm/unlockkey", None)
            .await?;
        let answer: UnlockKey = serde_json::from_slice(&bytes).map_err(|_| {
            // The body may hold the key: never quote it.
            EngineError::unreadable("GET /swarm/unlockkey", "unreadable answer")
        })?;
        Ok(Some(answer.key).filter(|k| !k.is_empty()).map(Secret::new))
    }

    /// How many services, swarm-scope networks, secrets and configs this
    /// manager lists; a list it cannot answer (no leader) is `None`, any
    /// other failure is the error.
    pub(crate) async fn counts(&self) -> Result<ObjectCounts, EngineError> {
        const SWARM_NETWORKS: &str = "/networks?filters=%7B%22scope%22%3A%5B%22swarm%22%5D%7D";
        let (services, networks, secrets, configs) = tokio::join!(
            self.count("GET /services", "/services"),
            self.count("GET /networks", SWARM_NETWORKS),
            self.count("GET /secrets", "/secrets"),
            self.count("GET /configs", "/configs"),
        );
        Ok(ObjectCounts {
            services: services?,
            networks: networks?,
            secrets: secrets?,
            configs: configs?,
        })
    }

    /// The length of the list `path` answers; `None` when the swarm has no
    /// leader to answer it.
    async fn count(&self, call: &'static str, path: &str) -> Result<Option<usize>, EngineError> {
        let bytes = match self.raw(call, "GET", path, None).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NoLeader => return Ok(None),
            Err(e) => return Err(e),
        };
        let list: Vec<serde_json::Value> = serde_json::from_slice(&bytes)
            .map_err(|e| EngineError::unreadable(call, format!("unreadable answer: {e}")))?;
        Ok(Some(list.len()))
    }

    /// `POST /swarm/unlock` with the key.
    pub(crate) async fn unlock(&self, key: &Secret) -> Result<(), EngineError> {
        let body = serde_json::to_vec(&serde_json::json!({ "UnlockKey": key.expose() }))
            .map_err(|e| EngineError::unreadable("POST /swarm/unlock", e))?;
        self.raw("POST /swarm/unlock", "POST", "/swarm/unlock", Some(body))
            .await
            .map(drop)
    }

    /// The trust root of every node in the node list (managers only).
    pub(crate) async fn node_trust(&self) -> Result<Vec<NodeTrust>, EngineError> {
        let nodes: Vec<bollard::models::Node> = self.get_json("GET /nodes", "/nodes").await?;
        Ok(nodes
            .into_iter()
            .filter_map(|n| {
                let description = n.description.unwrap_or_default();
                Some(NodeTrust {
                    id: n.id?,
                    hostname: description.hostname.unwrap_or_default(),
                    trust_root: description
                        .tls_info
                        .and_then(|t| t.trust_root)
                        .unwrap_or_default(),
                })
            })
            .collect())
    }

    /// Makes this node leave its swarm (`force`: also a manager, or a node
    /// stuck in state `error`).
    pub(crate) async fn leave(&self, force: bool) -> Result<(), EngineError> {
        let path = format!("/swarm/leave?force={force}");
        self.raw("POST /swarm/leave", "POST", &path, None)
            .await
            .map(drop)
    }

    /// Removes a node's entry from the swarm (managers only).
    pub(crate) async fn remove_node(&self, id: &str, force: bool) -> Result<(), EngineError> {
        let path = format!("/nodes/{id}?force={force}");
        self.raw("DELETE /nodes/{id}", "DELETE", &path, None)
            .await
            .map(drop)
    }

    /// The tasks the swarm placed on node `node_id` (managers only).
    pub(crate) async fn node_tasks(&self, node_id: &str) -> Result<Vec<NodeTask>, EngineError> {
        let filters = serde_json::json!({ "node": [node_id] });
        let tasks = self.tasks(&filters).await?;
        Ok(tasks.into_iter().filter(|t| t.node_id == node_id).collect())
    }

    /// The tasks of the services `service_ids`, on every node (managers
    /// only): where a drained node's tasks went.
    pub(crate) async fn tasks_of_services(
        &self,
        service_ids: &[String],
    ) -> Result<Vec<NodeTask>, EngineError> {
        if service_ids.is_empty() {
            return Ok(Vec::new());
        }
        let filters = serde_json::json!({ "service": service_ids });
        let tasks = self.tasks(&filters).await?;
        Ok(tasks
            .into_iter()
            .filter(|t| service_ids.contains(&t.service_id))
            .collect())
    }

    /// `GET path`, its answer decoded as JSON.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        call: &'static str,
        path: &str,
    ) -> Result<T, EngineError> {
        let bytes = self.raw(call, "GET", path, None).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| EngineError::unreadable(call, format!("unreadable answer: {e}")))
    }

    /// `GET /tasks` with `filters`.
    async fn tasks(&self, filters: &serde_json::Value) -> Result<Vec<NodeTask>, EngineError> {
        use bollard::models::TaskState;
        let path = format!("/tasks?filters={}", percent_encode(&filters.to_string()));
        let tasks: Vec<bollard::models::Task> = self.get_json("GET /tasks", &path).await?;
        Ok(tasks
            .into_iter()
            .map(|t| {
                let state = t.status.and_then(|s| s.state);
                NodeTask {
                    id: t.id.unwrap_or_default(),
                    service_id: t.service_id.unwrap_or_default(),
                    node_id: t.node_id.unwrap_or_default(),
                    slot: t.slot.and_then(|s| u64::try_from(s).ok()),
                    started: state == Some(TaskState::RUNNING),
                    desired_running: t.desired_state == Some(TaskState::RUNNING),
                    running: matches!(
                        state,
                        Some(
                            TaskState::ASSIGNED
                                | TaskState::ACCEPTED
                                | TaskState::PREPARING
                                | TaskState::READY
                                | TaskState::STARTING
                                | TaskState::RUNNING
                        )
                    ),
                }
            })
            .collect())
    }

    /// Initialises a new swarm on this node; returns its NodeID.
    pub(crate) async fn init(&self, request: &InitRequest) -> Result<String, EngineError> {
        let body = serde_json::to_vec(request)
            .map_err(|e| EngineError::unreadable("POST /swarm/init", e))?;
        let bytes = self
            .raw("POST /swarm/init", "POST", "/swarm/init", Some(body))
            .await?;
        serde_json::from_slice::<String>(&bytes).map_err(|e| {
            EngineError::unreadable("POST /swarm/init", format!("unreadable answer: {e}"))
        })
    }

    /// Joins this node to a swarm.
    pub(crate) async fn join(&self, request: &JoinRequest) -> Result<(), EngineError> {
        let body = serde_json::to_vec(&request.body())
            .map_err(|e| EngineError::unreadable("POST /swarm/join", e))?;
        self.raw("POST /swarm/join", "POST", "/swarm/join", Some(body))
            .await
            .map(|_| ())
    }

    /// Updates a node's spec (role, availability, labels) at `version`.
    pub(crate) async fn update_node(
        &self,
        node: &SwarmNode,
        update: &NodeUpdate,
    ) -> Result<(), EngineError> {
        let spec = NodeSpec {
            name: node.name.clone(),
            labels: Some(update.labels.clone().into_iter().collect()),
            role: Some(match update.role {
                NodeRole::Manager => NodeSpecRoleEnum::MANAGER,
                NodeRole::Worker => NodeSpecRoleEnum::WORKER,
            }),
            availability: Some(match update.availability {
                Availability::Active => NodeSpecAvailabilityEnum::ACTIVE,
                Availability::Pause => NodeSpecAvailabilityEnum::PAUSE,
                Availability::Drain => NodeSpecAvailabilityEnum::DRAIN,
            }),
        };
        let body = serde_json::to_vec(&spec)
            .map_err(|e| EngineError::unreadable("POST /nodes/{id}/update", e))?;
        let path = format!(
            "/nodes/{}/update?version={}",
            percent_encode(&node.id),
            node.version
        );
        self.raw("POST /nodes/{id}/update", "POST", &path, Some(body))
            .await
            .map(drop)
    }

    /// A request outside bollard's models, through the same tunnel.
    async fn raw(
        &self,
        call: &'static str,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Bytes, EngineError> {
        let uri = format!("http://docker.sock/v{}{path}", self.api_version());
        raw_request(&self.http, self.timeout, call, method, &uri, body).await
    }
}

/// A manager's node list and swarm object, read while its `/info` was
/// (see [`Engine::connect_with_info`]).
#[derive(Debug)]
pub(crate) struct ViewRead {
    pub(crate) nodes: Result<Vec<SwarmNode>, EngineError>,
    pub(crate) swarm: Result<SwarmInspect, EngineError>,
}

/// A node's `/info` reply, as swarmadm reads it.
pub(crate) fn parse_info(bytes: &[u8], api_version: String) -> Result<EngineInfo, EngineError> {
    decode::info(bytes, api_version)
        .map_err(|e| EngineError::unreadable("GET /info", format!("unreadable answer: {e}")))
}

/// `1.45` as a version; `None` for anything else.
fn parse_version(text: &str) -> Option<ClientVersion> {
    let (major, minor) = text.trim().split_once('.')?;
    Some(ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
}

/// The engine's version, or bollard's if the engine's is newer: the
/// models are bollard's.
fn usable_version(server: ClientVersion) -> ClientVersion {
    if server < *bollard::API_DEFAULT_VERSION {
        server
    } else {
        *bollard::API_DEFAULT_VERSION
    }
}

/// `text` with every byte but the unreserved ones of RFC 3986 as `%XX`,
/// for a query value or a path segment.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub(crate) fn parse_nodes(bytes: &[u8]) -> Result<Vec<SwarmNode>, EngineError> {
    decode::nodes(bytes)
        .map_err(|e| EngineError::unreadable("GET /nodes", format!("unreadable answer: {e}")))
}

pub(crate) fn parse_swarm(bytes: &[u8]) -> Result<SwarmInspect, EngineError> {
    serde_json::from_slice(bytes)
        .map_err(|e| EngineError::unreadable("GET /swarm", format!("unreadable answer: {e}")))
}

/// One request through the tunnel, bounded by `timeout`; an error answer
/// becomes a classified [`EngineError`].
async fn raw_request(
    http: &HttpClient,
    timeout: Duration,
    call: &'static str,
    method: &str,
    uri: &str,
    body: Option<Vec<u8>>,
) -> Result<Bytes, EngineError> {
    exchange(http, timeout, call, method, uri, body)
        .await
        .map(|(bytes, _)| bytes)
}

/// The API version an engine names in its answer's `Api-Version` header.
fn api_version_header(headers: &hyper::HeaderMap) -> Option<ClientVersion> {
    parse_version(headers.get("api-version")?.to_str().ok()?)
}

/// [`raw_request`], with the API version the engine named in its answer.
async fn exchange(
    http: &HttpClient,
    timeout: Duration,
    call: &'static str,
    method: &str,
    uri: &str,
    body: Option<Vec<u8>>,
) -> Result<(Bytes, Option<ClientVersion>), EngineError> {
    let has_body = body.is_some();
    let mut builder = hyper::Request::builder().method(method).uri(uri);
    if has_body {
        builder = builder.header("content-type", "application/json");
    }
    let request = builder
        .body(bollard::body_full(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| EngineError::unreadable(call, e))?;
    let exchange = async {
        let response = http
            .request(request)
            .await
            .map_err(|e| EngineError::from_hyper(call, e))?;
        let status = response.status();
        let version = api_version_header(response.headers());
        let cap = reply_cap(call);
        let bytes = Limited::new(response.into_body(), cap)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    EngineError::broken(
                        call,
                        format!("the reply is larger than {} MiB", cap / (1024 * 1024)),
                    )
                } else {
                    EngineError::unreadable(call, format!("reading the answer: {e}"))
                }
            })?
            .to_bytes();
        if !status.is_success() {
            return Err(EngineError::answer(
                call,
                status.as_u16(),
                &engine_message(&bytes),
            ));
        }
        Ok((bytes, version))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| Err(EngineError::timeout(call, timeout)))
}

/// The `message` of an engine error body, or the body itself.
fn engine_message(bytes: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
    }
    serde_json::from_slice::<ErrorBody>(bytes)
        .map(|b| b.message)
        .unwrap_or_else(|_| String::from_utf8_lossy(bytes).trim().to_owned())
}

mod decode;
mod error;
mod workload;

pub(crate) use error::{EngineError, ErrorKind, classify_task_error, redact};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workload::TaskErrorKind;
    use proptest::prelude::*;

    #[test]
    fn lists_get_the_large_cap_and_everything_else_the_small_one() {
        for call in ["GET /nodes", "GET /tasks", "GET /services", "GET /networks"] {
            assert_eq!(reply_cap(call), LIST_REPLY_CAP, "{call}");
        }
        for call in [
            "GET /info",
            "GET /swarm",
            "GET /version",
            "POST /swarm/init",
            "POST /nodes/{id}/update",
            "DELETE /nodes/{id}",
        ] {
            assert_eq!(reply_cap(call), REPLY_CAP, "{call}");
        }
        // A list of 10,000 nodes at 3 KiB each fits.
        const { assert!(10_000 * 3 * 1024 < LIST_REPLY_CAP) };
    }

    #[test]
    fn a_task_error_gets_its_kind_from_the_engines_words() {
        // As dockerd 20.10-27 word them in a task's Status.Err.
        for (message, kind) in [
            (
                "No such image: lab/busybox:nothere",
                TaskErrorKind::ImageMissing,
            ),
            (
                "pull access denied for nothere, repository does not exist",
                TaskErrorKind::ImageMissing,
            ),
            (
                "manifest unknown: manifest unknown",
                TaskErrorKind::ImageMissing,
            ),
            (
                "registry.example/busybox:9: not found",
                TaskErrorKind::NotFound,
            ),
            (
                "failed to allocate network IP for task: network attachment not ready",
                TaskErrorKind::Other,
            ),
            (
                "starting container failed: OCI runtime create failed",
                TaskErrorKind::Other,
            ),
        ] {
            assert_eq!(classify_task_error(message), kind, "{message}");
        }
        assert!(TaskErrorKind::NotFound.image_unavailable());
        assert!(!TaskErrorKind::Other.image_unavailable());
    }

    #[test]
    fn broken_answers_are_a_broken_engine_naming_the_call() {
        let e = EngineError::broken("GET /info", "the reply is larger than 4 MiB");
        assert_eq!(e.kind(), ErrorKind::BrokenEngine);
        assert_eq!(
            e.to_string(),
            "GET /info: the reply is larger than 4 MiB: a broken engine, or not a Docker engine on this socket"
        );
    }

    #[test]
    fn replies_decode_into_the_model() {
        let info = br#"{"Name":"w1","ServerVersion":"26.1.5","Swarm":{"LocalNodeState":"locked","NodeID":"abc","RemoteManagers":[{"NodeID":"m","Addr":"10.0.0.1:2377"}]}}"#;
        let info = parse_info(info, "1.45".into()).unwrap();
        assert_eq!(info.hostname, "w1");
        assert_eq!(info.state, LocalState::Locked);
        assert_eq!(info.remote_managers.len(), 1);
        assert_eq!(parse_nodes(b"[]").unwrap().len(), 0);
        for junk in [&b""[..], b"null", b"{", b"[1,2]", b"\xff\xfe"] {
            assert_eq!(parse_nodes(junk).unwrap_err().kind(), ErrorKind::Unreadable);
        }
        assert!(parse_info(b"[]", String::new()).is_err());
        let v = parse_version("1.45").unwrap();
        assert_eq!(usable_version(v).to_string(), "1.45");
        assert_eq!(
            usable_version(parse_version("9.99").unwrap()),
            *bollard::API_DEFAULT_VERSION
        );
        assert_eq!(
            percent_encode("{\"node\":[\"a b\"]}"),
            "%7B%22node%22%3A%5B%22a%20b%22%5D%7D"
        );
    }

    /// JSON-shaped replies: the keys the decoders read, with values of any
    /// type and nesting, so that the mutations reach past the first byte.
    fn reply_json() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|n| serde_json::json!(n).to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<String>().prop_map(|s| serde_json::json!(s).to_string()),
            prop::sample::select(vec![
                "\"active\"",
                "\"locked\"",
                "\"manager\"",
                "\"drain\"",
                "\"ready\"",
                "\"1.45\""
            ])
            .prop_map(str::to_owned),
        ];
        let keys = prop::sample::select(vec![
            "ID",
            "Version",
            "Index",
            "Spec",
            "Role",
            "Availability",
            "Labels",
            "Description",
            "Hostname",
            "Status",
            "State",
            "Addr",
            "ManagerStatus",
            "Leader",
            "Reachability",
            "Swarm",
            "LocalNodeState",
            "NodeID",
            "NodeAddr",
            "Cluster",
            "ControlAvailable",
            "RemoteManagers",
            "Name",
            "ServerVersion",
            "JoinTokens",
            "Worker",
            "Manager",
            "TLSInfo",
            "TrustRoot",
            "Error",
        ]);
        leaf.prop_recursive(6, 64, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|kv| {
                    let fields: Vec<String> =
                        kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    fn decode_all(bytes: &[u8]) {
        let _ = parse_info(bytes, "1.45".into());
        let _ = parse_nodes(bytes);
        let _ = parse_swarm(bytes);
        let _ = engine_message(bytes);
        let _ = serde_json::from_slice::<Vec<bollard::models::Task>>(bytes);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any bytes as a reply of /info, /nodes, /swarm or an error body:
        /// an error or a value, never a panic.
        #[test]
        fn no_reply_bytes_make_a_decoder_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            decode_all(&bytes);
        }

        #[test]
        fn no_json_shaped_reply_makes_a_decoder_panic(json in reply_json()) {
            decode_all(json.as_bytes());
            decode_all(format!("[{json}]").as_bytes());
            decode_all(format!("{{\"Swarm\":{json},\"Spec\":{json}}}").as_bytes());
        }

        /// Nesting deeper than serde_json's recursion limit is an error,
        /// not a stack overflow.
        #[test]
        fn deeply_nested_replies_are_refused(depth in 100usize..5000) {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            decode_all(text.as_bytes());
        }
    }

    #[test]
    fn the_api_version_header_is_read_and_junk_ignored() {
        let mut headers = hyper::HeaderMap::new();
        assert!(api_version_header(&headers).is_none());
        headers.insert("Api-Version", "1.45".parse().unwrap());
        let v = api_version_header(&headers).expect("a version");
        assert_eq!((v.major_version, v.minor_version), (1, 45));
        for junk in ["", "1", "one.two", "1.x", "1.45.2"] {
            headers.insert("Api-Version", junk.parse().unwrap());
            assert!(api_version_header(&headers).is_none(), "{junk:?}");
        }
    }

    #[test]
    fn redact_removes_unlock_keys_too() {
        let out = redact("unlock failed for SWMKEY-1-abcDEF+/x");
        assert!(!out.contains("SWMKEY"), "{out}");
    }

    #[test]
    fn redact_removes_every_token() {
        let text = "join failed: token SWMTKN-1-abc123-def456 rejected; also SWMTKN-1-x";
        let out = redact(text);
        assert!(!out.contains("SWMTKN"), "{out}");
        assert_eq!(
            out,
            "join failed: token <redacted> rejected; also <redacted>"
        );
    }

    #[test]
    fn join_request_debug_hides_the_token() {
        let request = JoinRequest {
            listen_addr: "0.0.0.0:2377".into(),
            advertise_addr: None,
            remote_addrs: vec!["10.0.0.1:2377".into()],
            token: Secret::new("SWMTKN-1-secret"),
            availability: Availability::Drain,
        };
        assert!(!format!("{request:?}").contains("SWMTKN"));
        let body = request.body();
        assert_eq!(body["JoinToken"], "SWMTKN-1-secret");
        assert_eq!(body["Availability"], "drain");
        assert!(body.get("AdvertiseAddr").is_none());
    }

    #[test]
    fn swarm_inspect_tokens_parse_into_secrets() {
        let json = br#"{"ID":"abc","JoinTokens":{"Worker":"SWMTKN-1-w","Manager":"SWMTKN-1-m"},"Spec":{}}"#;
        let inspect: SwarmInspect = serde_json::from_slice(json).unwrap();
        assert_eq!(inspect.tokens.worker.expose(), "SWMTKN-1-w");
        assert!(!format!("{inspect:?}").contains("SWMTKN"));
    }

    #[test]
    fn engine_error_bodies_are_read_and_redacted() {
        let msg = engine_message(br#"{"message":"bad token SWMTKN-1-zz"}"#);
        assert_eq!(redact(&msg), "bad token <redacted>");
        assert_eq!(engine_message(b"plain text\n"), "plain text");
    }
}
