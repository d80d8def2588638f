//! `swarmadm inventory`: the nodes as resolved, without connecting.

use super::{Layout, Row, count, dash, labels_cell, table_with_errors};

/// `swarmadm inventory`: the nodes as resolved, one row each. Fitted:
/// NODE, ROLE, SSH, ADVERTISE, AVAILABILITY; wide: also keys, jump hosts,
/// socket and labels.
pub(crate) fn inventory(inventory: &crate::inventory::Inventory, layout: Layout) -> String {
    let wide = layout == Layout::Wide;
    let rows = inventory
        .nodes
        .iter()
        .map(|n| {
            let hop = &n.ssh.hop;
            let ssh = hop.destination();
            let advertise = inventory.advertise_addr_of(n).unwrap_or("auto").to_owned();
            let availability = inventory.availability_of(n).to_string();
            let mut cells = vec![
                n.name.to_string(),
                n.role.to_string(),
                ssh,
                advertise,
                availability,
            ];
            if wide {
                let keys: Vec<String> = hop
                    .identity_files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                let jumps: Vec<String> = n.ssh.jumps.iter().map(|j| j.destination()).collect();
                let or_dash = |v: Vec<String>| if v.is_empty() { dash() } else { v.join(", ") };
                cells.push(or_dash(keys));
                cells.push(or_dash(jumps));
                cells.push(n.ssh.socket.clone());
                cells.push(labels_cell(&n.labels));
            }
            Row { cells, error: None }
        })
        .collect();
    let headers: &[&str] = if wide {
        &[
            "NODE",
            "ROLE",
            "SSH",
            "ADVERTISE",
            "AVAILABILITY",
            "KEYS",
            "JUMP",
            "SOCKET",
            "LABELS",
        ]
    } else {
        &["NODE", "ROLE", "SSH", "ADVERTISE", "AVAILABILITY"]
    };
    let mut out = table_with_errors(headers, rows, layout);
    out.push('\n');
    out.push_str(&format!(
        "{} in {}\n",
        count(inventory.nodes.len(), "node", "nodes"),
        inventory.source.display()
    ));
    out
}
