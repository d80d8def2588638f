//! The lab's workload image: a root file system holding only
//! `/bin/busybox`, imported into every node's engine at `lab up`
//! (`POST /images/create?fromSrc=-`), so that `swarmadm verify --workload
//! --workload-image swarmadm-lab/busybox:1` runs where no registry can be
//! reached. Only the lab's own sockets are used.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The image's name in every node.
pub const LAB_IMAGE: &str = "swarmadm-lab/busybox:1";
/// Where the image's one program comes from (Debian: busybox-static).
pub(crate) const BUSYBOX: &str = "/bin/busybox";

/// A tar of a root file system holding only `bin/busybox`; `None` when this
/// host has no busybox.
pub(crate) fn tar(scratch: &Path) -> Result<Option<Vec<u8>>, String> {
    if !Path::new(BUSYBOX).is_file() {
        return Ok(None);
    }
    let root = scratch.join("image");
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    std::fs::copy(BUSYBOX, bin.join("busybox")).map_err(|e| format!("copying {BUSYBOX}: {e}"))?;
    let out = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .args(["-cf", "-", "bin"])
        .output()
        .map_err(|e| format!("running tar: {e}"))?;
    let _ = std::fs::remove_dir_all(&root);
    if !out.status.success() {
        return Err(format!(
            "tar: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(Some(out.stdout))
}

/// Imports `tar` as [`LAB_IMAGE`] into the engine behind `socket`. Its
/// error (and `import_result`'s) is the message `lab up` prints for that
/// node: the lab stops on it and nothing matches on its kind.
pub(crate) fn import(socket: &Path, tar: &[u8], timeout: Duration) -> Result<(), String> {
    let (repo, tag) = LAB_IMAGE.split_once(':').unwrap_or((LAB_IMAGE, "latest"));
    let answer = || -> std::io::Result<Vec<u8>> {
        let mut stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        // HTTP/1.0: the engine closes the connection after the response.
        let head = format!(
            "POST /images/create?fromSrc=-&repo={repo}&tag={tag} HTTP/1.0\r\nHost: docker\r\n\
             Content-Type: application/x-tar\r\nContent-Length: {}\r\n\r\n",
            tar.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(tar)?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        Ok(response)
    };
    let response = answer().map_err(|e| format!("importing {LAB_IMAGE}: {e}"))?;
    import_result(&response)
}

/// Whether an import's answer says it worked: status 200 and no `error` in
/// the progress stream that follows.
fn import_result(response: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(response);
    let status = text.lines().next().unwrap_or_default();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    if !status.contains(" 200 ") {
        return Err(format!(
            "importing {LAB_IMAGE}: {status}: {}",
            body.trim().chars().take(200).collect::<String>()
        ));
    }
    if let Some(line) = body.lines().find(|l| l.contains("\"error\"")) {
        return Err(format!("importing {LAB_IMAGE}: {}", line.trim()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_answer_is_read_for_its_status_and_errors() {
        assert_eq!(
            import_result(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"sha256:ab\"}\r\n"),
            Ok(())
        );
        let e =
            import_result(b"HTTP/1.0 500 Internal Server Error\r\n\r\n{\"message\":\"no space\"}")
                .unwrap_err();
        assert!(e.contains("500") && e.contains("no space"), "{e}");
        let e = import_result(
            b"HTTP/1.0 200 OK\r\n\r\n{\"error\":\"archive/tar: invalid tar header\"}\r\n",
        )
        .unwrap_err();
        assert!(e.contains("invalid tar header"), "{e}");
    }

    #[test]
    fn the_image_holds_busybox_alone() {
        if !Path::new(BUSYBOX).is_file() {
            panic!("{BUSYBOX} is missing: apt-get install busybox-static (just setup)");
        }
        let scratch =
            std::env::temp_dir().join(format!("swarmadm-lab-image-{}", std::process::id()));
        let tar = tar(&scratch).unwrap().unwrap();
        let _ = std::fs::remove_dir_all(&scratch);
        // A ustar header names the file; its bytes follow.
        let names: Vec<String> = tar
            .chunks(512)
            .filter(|h| h.get(257..262) == Some(b"ustar"))
            .map(|h| {
                String::from_utf8_lossy(&h[..100])
                    .trim_end_matches('\0')
                    .to_owned()
            })
            .collect();
        assert_eq!(names, ["bin/", "bin/busybox"]);
        assert!(tar.len() > std::fs::metadata(BUSYBOX).unwrap().len() as usize);
    }
}
