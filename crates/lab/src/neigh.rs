//! The kernel's neighbour (ARP) table, which every network namespace of the
//! host shares: its size limits (`net.ipv4.neigh.default.gc_thresh1/2/3`),
//! raising them for a lab of N nodes, and telling a full table apart from a
//! node that simply does not answer.
//!
//! Swarm nodes gossip with every other node, so a lab of N nodes needs about
//! N² entries; the default hard limit is 1,024, which a 3+30 lab reaches.
//! Past it, new neighbours fail and the kernel logs "neighbor table
//! overflow": connections then time out for reasons that are not the tool's.
//! The limits are only ever raised here, never lowered: other labs (or
//! anything else on the host) may rely on them.

use std::fmt;
use std::fs;
use std::path::PathBuf;

use super::LabError;

const SYSCTL_DIR: &str = "/proc/sys/net/ipv4/neigh/default";
/// Per-CPU rows of the table's counters; `entries` is global.
const STATS: &str = "/proc/net/stat/arp_cache";

/// A lab this small fits in the kernel's default table with room for other
/// labs: leave the host alone.
const SMALL_LAB: usize = 16;
/// Floors for a lab that needs more than the defaults.
const FLOORS: [u64; 3] = [8192, 32768, 65536];

/// One of the three limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold(u8);

impl Threshold {
    const ALL: [Threshold; 3] = [Threshold(1), Threshold(2), Threshold(3)];

    fn path(self) -> PathBuf {
        PathBuf::from(SYSCTL_DIR).join(format!("gc_thresh{}", self.0))
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "net.ipv4.neigh.default.gc_thresh{}", self.0)
    }
}

/// A limit `up` raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    pub sysctl: Threshold,
    pub from: u64,
    pub to: u64,
}

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} -> {}", self.sysctl, self.from, self.to)
    }
}

/// The limits (gc_thresh1, 2, 3) a lab of `nodes` nodes wants, or `None`
/// when the defaults do: N² entries for the lab itself, with the floors
/// for anything bigger than a small lab, and the soft and hard limits well
/// above what the lab fills so that other labs fit beside it.
pub(crate) fn wanted(nodes: usize) -> Option<[u64; 3]> {
    if nodes <= SMALL_LAB {
        return None;
    }
    let pairs = u64::try_from(nodes.saturating_mul(nodes)).unwrap_or(u64::MAX);
    Some([
        FLOORS[0].max(pairs),
        FLOORS[1].max(pairs.saturating_mul(4)),
        FLOORS[2].max(pairs.saturating_mul(8)),
    ])
}

/// Raises each limit that is below what a lab of `nodes` nodes wants and
/// returns what changed; a limit that is already higher stays as it is.
pub(crate) fn size_for(nodes: usize) -> Result<Vec<Raised>, LabError> {
    let Some(wanted) = wanted(nodes) else {
        return Ok(Vec::new());
    };
    let mut raised = Vec::new();
    // Hard limit first: the kernel wants thresh1 <= thresh2 <= thresh3 to
    // hold in spirit, and raising from the top keeps it true throughout.
    for (sysctl, want) in Threshold::ALL.into_iter().zip(wanted).rev() {
        let from = read(sysctl)?;
        if from >= want {
            continue;
        }
        let path = sysctl.path();
        fs::write(&path, format!("{want}\n")).map_err(|e| LabError::io("write", &path, e))?;
        raised.push(Raised {
            sysctl,
            from,
            to: want,
        });
    }
    raised.reverse();
    Ok(raised)
}

fn read(sysctl: Threshold) -> Result<u64, LabError> {
    let path = sysctl.path();
    let text = fs::read_to_string(&path).map_err(|e| LabError::io("read", &path, e))?;
    text.trim().parse().map_err(|_| {
        LabError::io(
            "parse",
            &path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, text.trim().to_owned()),
        )
    })
}

/// The table's fill and how often it was full, at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub entries: u64,
    /// Times a new neighbour was refused because the table was full, since
    /// boot, summed over CPUs.
    pub table_fulls: u64,
}

/// The table's usage now; zeros if the kernel does not say.
pub(crate) fn usage() -> Usage {
    fs::read_to_string(STATS)
        .ok()
        .and_then(|text| parse_stats(&text))
        .unwrap_or_default()
}

/// Parses `/proc/net/stat/arp_cache`: a header naming the columns, then one
/// row of hexadecimal counters per CPU.
fn parse_stats(text: &str) -> Option<Usage> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split_whitespace().collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let (entries, fulls) = (column("entries")?, column("table_fulls")?);
    let mut usage = Usage::default();
    for line in lines {
        let row: Vec<u64> = line
            .split_whitespace()
            .map(|v| u64::from_str_radix(v, 16).ok())
            .collect::<Option<_>>()?;
        usage.entries = *row.get(entries)?;
        usage.table_fulls += row.get(fulls)?;
    }
    Some(usage)
}

/// Why a node may not have answered, if the neighbour table is to blame:
/// it overflowed since `before` (since boot without one), or it is full
/// now, as the kernel log's "neighbor table overflow" would say. `None`
/// when the table is fine.
pub(crate) fn overflow_since(before: Option<Usage>) -> Option<String> {
    let now = usage();
    let limit = read(Threshold(3)).ok();
    let full = limit.is_some_and(|limit| now.entries >= limit);
    let since = before.map_or(" since boot", |_| "");
    let refused = now
        .table_fulls
        .saturating_sub(before.unwrap_or_default().table_fulls);
    if refused == 0 && !full {
        return None;
    }
    let limit = limit.map_or_else(|| "?".to_owned(), |l| l.to_string());
    Some(format!(
        "neighbour table overflow: the kernel's ARP table (shared by every namespace of this host) \
         holds {} entries of at most {limit} ({}) and refused new neighbours {refused} times{since} \
         (\"neighbor table overflow\" in dmesg); raise net.ipv4.neigh.default.gc_thresh1/2/3 \
         (e.g. 8192/32768/65536) or run fewer nodes",
        now.entries,
        Threshold(3),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_labs_leave_the_defaults_alone() {
        assert_eq!(wanted(6), None);
        assert_eq!(wanted(SMALL_LAB), None);
    }

    #[test]
    fn big_labs_get_the_floors_or_n_squared() {
        assert_eq!(wanted(33), Some([8192, 32768, 65536]));
        assert_eq!(wanted(103), Some([10609, 42436, 84872]));
        let [a, b, c] = wanted(240).unwrap();
        assert!(a <= b && b <= c && a >= 240 * 240);
    }

    #[test]
    fn stats_sum_table_fulls_over_cpus() {
        let text = "entries  allocs table_fulls\n\
                    00000400 00000001 00000003\n\
                    00000400 00000004 0000000a\n";
        assert_eq!(
            parse_stats(text),
            Some(Usage {
                entries: 1024,
                table_fulls: 13
            })
        );
        assert_eq!(parse_stats("entries\nzz\n"), None);
    }
}
