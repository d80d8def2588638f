//! Groups and `:children`: which hosts a group holds, how deep each group
//! sits under `all` (for the order of group variables), and the checks that
//! `:children` makes no cycle and names only groups the file defines.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::{Ctx, Ini, OUR_GROUPS};
use crate::inventory::InventoryError;
use crate::inventory::suggest::did_you_mean;

/// How deep `:children` may nest before we call it a cycle.
const MAX_GROUP_DEPTH: usize = 32;

impl Ini {
    /// Every group the file mentions, and `all`.
    fn group_names(&self) -> BTreeSet<&str> {
        let mut names: BTreeSet<&str> = ["all"].into();
        names.extend(self.members.keys().map(String::as_str));
        names.extend(self.children.keys().map(String::as_str));
        names.extend(self.group_vars.keys().map(String::as_str));
        names.extend(self.headers.keys().map(String::as_str));
        for children in self.children.values() {
            names.extend(children.iter().map(|(c, _)| c.as_str()));
        }
        names
    }

    /// The hosts of `group` and of its children, each with the first line
    /// that put it there. `all` holds every host. Each group is visited
    /// once, so that cycles and diamonds of `:children` cost nothing extra.
    pub(super) fn hosts_in(&self, group: &str) -> BTreeMap<String, usize> {
        let mut hosts = BTreeMap::new();
        if group == "all" {
            for members in self.members.values() {
                add_hosts(&mut hosts, members);
            }
            return hosts;
        }
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut queue: VecDeque<&str> = VecDeque::from([group]);
        while let Some(current) = queue.pop_front() {
            if !seen.insert(current) {
                continue;
            }
            if let Some(members) = self.members.get(current) {
                add_hosts(&mut hosts, members);
            }
            for (child, _) in self.children.get(current).into_iter().flatten() {
                queue.push_back(child);
            }
        }
        hosts
    }

    /// For every host, the groups that hold it, weakest first: by depth
    /// under `all` (children beat parents), then by name, as Ansible orders
    /// group variables. One pass over the groups, not one per host.
    pub(super) fn groups_of_hosts(&self) -> HashMap<String, Vec<&str>> {
        let depths = self.depths();
        let mut by_host: HashMap<String, Vec<(usize, &str)>> = HashMap::new();
        for group in self.group_names() {
            let depth = depths.get(group).copied().unwrap_or(0);
            for host in self.hosts_in(group).into_keys() {
                by_host.entry(host).or_default().push((depth, group));
            }
        }
        by_host
            .into_iter()
            .map(|(host, mut groups)| {
                groups.sort_unstable();
                (host, groups.into_iter().map(|(_, g)| g).collect())
            })
            .collect()
    }

    /// How deep each group sits under `all`: 1 + the depth of its deepest
    /// parent, `all` being 0. Computed by relaxing from `all` downwards at
    /// most [`MAX_GROUP_DEPTH`] times, which also ends cycles.
    fn depths(&self) -> HashMap<&str, usize> {
        let names = self.group_names();
        let mut depths: HashMap<&str, usize> = names.iter().map(|g| (*g, 1)).collect();
        depths.insert("all", 0);
        for _ in 0..MAX_GROUP_DEPTH {
            let mut changed = false;
            for (parent, children) in &self.children {
                let below = depths.get(parent.as_str()).copied().unwrap_or(1) + 1;
                for (child, _) in children {
                    let depth = depths.entry(child.as_str()).or_insert(1);
                    if child != "all" && *depth < below {
                        *depth = below;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        depths
    }

    /// `:children` must not make a cycle: Ansible refuses one, and a group
    /// that holds itself has no meaning. The error is at the line that
    /// closes the cycle and names every group in it.
    pub(super) fn check_cycles(&self, ctx: &Ctx) -> Result<(), InventoryError> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        let mut marks: HashMap<&str, Mark> = HashMap::new();
        for root in self.children.keys() {
            if marks.contains_key(root.as_str()) {
                continue;
            }
            // The path from `root`: each group with the index of its next child.
            let mut path: Vec<(&str, usize)> = vec![(root.as_str(), 0)];
            marks.insert(root, Mark::Open);
            while let Some((group, next)) = path.last_mut() {
                let children = self.children.get(*group).map_or(&[][..], Vec::as_slice);
                let Some((child, line)) = children.get(*next) else {
                    marks.insert(group, Mark::Done);
                    path.pop();
                    continue;
                };
                *next += 1;
                let parent = *group;
                match marks.get(child.as_str()) {
                    Some(Mark::Done) => {}
                    Some(Mark::Open) => {
                        let start = path.iter().position(|(g, _)| *g == child).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[start..].iter().map(|(g, _)| *g).collect();
                        cycle.push(child);
                        return Err(ctx.error(
                            *line,
                            format!(
                                "[{parent}:children] names `{child}`, which makes a cycle: {} (Ansible refuses :children cycles)",
                                cycle.join(" → ")
                            ),
                        ));
                    }
                    None => {
                        marks.insert(child, Mark::Open);
                        path.push((child.as_str(), 0));
                    }
                }
            }
        }
        Ok(())
    }

    /// A `:children` entry of one of our groups, or of a group that feeds
    /// them, must name a group the file defines: an undefined one is empty,
    /// which is how a typo would leave hosts out silently.
    pub(super) fn check_children(&self, ctx: &Ctx) -> Result<(), InventoryError> {
        let defined: Vec<&str> = self.headers.keys().map(String::as_str).collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut queue: VecDeque<&str> = OUR_GROUPS.into_iter().collect();
        while let Some(group) = queue.pop_front() {
            if !seen.insert(group) {
                continue;
            }
            for (child, line) in self.children.get(group).into_iter().flatten() {
                if !self.headers.contains_key(child) && child != "all" {
                    let hint = did_you_mean(child, &defined)
                        .map(|g| format!(": did you mean `{g}`?"))
                        .unwrap_or_else(|| format!(" (no [{child}] section)"));
                    return Err(ctx.error(
                        *line,
                        format!(
                            "[{group}:children] names group `{child}`, which this file does not define{hint}"
                        ),
                    ));
                }
                queue.push_back(child);
            }
        }
        Ok(())
    }
}

fn add_hosts(hosts: &mut BTreeMap<String, usize>, members: &[(String, usize)]) {
    for (name, line) in members {
        let entry = hosts.entry(name.clone()).or_insert(*line);
        *entry = (*entry).min(*line);
    }
}
