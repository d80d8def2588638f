//! The registry of test lab ids: one named constant per test that takes a
//! lab (or holds an id), so that no two tests ever share a subnet, a lab
//! name or a lock. Lab `id` is named `t<id>`, uses `10.213.<id>.0/24` and
//! the lock `t<id>.lock` (see [`super::lock`]). Id 0 is the subnet of the
//! default `swarmadm lab` and 255 is not a valid third octet here, so ids
//! are 1 to 254; the unit test below checks that and uniqueness.
//!
//! Ranges, by file (a new test takes the next free id of its file's range,
//! and a new file takes a new range):
//!
//! | ids     | owner                                                      |
//! |---------|------------------------------------------------------------|
//! | 1–9     | `tests/lab.rs`                                             |
//! | 10–19   | `tests/transport.rs`                                       |
//! | 20–29   | `tests/up.rs`                                              |
//! | 30–39   | `tests/verify.rs`                                          |
//! | 40–44   | `tests/readme.rs`                                          |
//! | 45–49   | `tests/bench.rs`                                           |
//! | 50–59   | `tests/lab.rs` (more)                                      |
//! | 60–64   | `tests/recover.rs` (more)                                  |
//! | 65–69   | `tests/bounded.rs` (more)                                  |
//! | 100–109 | `tests/lab_scale.rs`                                       |
//! | 110–119 | `tests/engines.rs`                                         |
//! | 120–139 | `tests/ssh_trust.rs`                                       |
//! | 140–149 | `tests/safety.rs`                                          |
//! | 150–159 | `tests/lifecycle_down.rs`                                  |
//! | 160–169 | `tests/lifecycle_swarm.rs`                                 |
//! | 170–179 | reserved: future lifecycle tests                           |
//! | 180–189 | `tests/terminal.rs`                                        |
//! | 190–199 | `tests/workload.rs`                                        |
//! | 209–214 | `tests/workload.rs` (more)                                 |
//! | 225–234 | `tests/handoff.rs`                                         |
//! | 235–244 | `tests/bounded.rs`                                         |
//! | 250–254 | `tests/transport.rs` (more; 250: `bench/run`'s lab)        |
//! | 215–224 | `tests/recover.rs`                                         |

/// Defines the ids as `pub const NAME: u8` and lists them all in [`ALL`],
/// so that an id cannot be added without the uniqueness test seeing it.
macro_rules! lab_ids {
    ($($(#[$doc:meta])* $name:ident = $id:literal;)*) => {
        $($(#[$doc])* pub const $name: u8 = $id;)*

        /// Every registered id, with its constant's name.
        pub const ALL: &[(&str, u8)] = &[$((stringify!($name), $name)),*];
    };
}

/// Ranges kept free for tests being written elsewhere: no id above may fall
/// into one until its owner registers its own ids here.
pub const RESERVED: &[(u8, u8, &str)] = &[(172, 179, "future lifecycle tests")];

lab_ids! {
    // tests/lab.rs
    /// `up_starts_nodes_that_answer_as_themselves_on_both_sockets`
    LAB_NODES_ANSWER = 1;
    /// `down_leaves_nothing_behind`
    LAB_DOWN_LEAVES_NOTHING = 2;
    /// `down_after_a_crash_without_state_json_still_cleans_up`
    LAB_DOWN_AFTER_CRASH = 3;
    /// `down_twice_is_fine`
    LAB_DOWN_TWICE = 4;
    /// `two_labs_coexist_and_go_down_independently`: the first lab.
    LAB_COEXIST_A = 5;
    /// `down_after_a_killed_up_cleans_up`
    LAB_DOWN_AFTER_KILLED_UP = 6;
    /// `stopped_daemons_show_in_status_and_start_again`
    LAB_STOPPED_DAEMONS = 7;
    /// `two_labs_coexist_and_go_down_independently`: the second lab.
    LAB_COEXIST_B = 8;
    /// `a_node_socket_is_reachable_through_ssh_stream_local_forwarding`
    LAB_SOCKET_FORWARDING = 9;

    // tests/transport.rs
    /// `status_reaches_every_engine_through_one_ssh_connection_per_node`
    STATUS_ONE_CONNECTION_PER_NODE = 10;
    /// `ansible_ini_and_ssh_config_give_the_same_result_as_toml`
    STATUS_ANSIBLE_INI = 11;
    /// `a_node_with_sshd_stopped_is_unreachable_and_the_others_still_report`
    STATUS_SSHD_STOPPED = 12;
    /// `host_keys_are_checked_strictly_and_learned_only_in_accept_new_mode`
    STATUS_HOST_KEYS = 13;
    /// `the_ssh_agent_authenticates_when_no_identity_file_is_given`
    STATUS_SSH_AGENT = 14;
    /// `a_socket_path_that_does_not_exist_is_a_clear_error_for_that_node`
    STATUS_MISSING_SOCKET = 15;
    /// `workers_are_reached_through_a_proxyjump_host`
    STATUS_PROXYJUMP = 16;
    /// `verbose_logs_say_how_each_node_was_reached_and_every_api_call_and_quiet_says_one_line`
    STATUS_VERBOSE_QUIET = 17;
    /// `identity_files_sign_at_once_and_a_refused_key_falls_through_to_the_next`
    /// (250 is the default subnet of `bench/run`)
    STATUS_IDENTITY_FILES = 251;

    // tests/up.rs
    /// `up_builds_the_playbooks_cluster_and_a_second_run_changes_nothing`
    UP_PLAYBOOK_CLUSTER = 20;
    /// `up_from_the_ansible_inventory_and_ssh_config_builds_the_same_cluster`
    UP_ANSIBLE_INI = 21;
    /// `dry_run_changes_nothing`
    UP_DRY_RUN = 22;
    /// `drift_a_drained_worker_and_a_removed_label_is_corrected`
    UP_DRIFT = 23;
    /// `a_worker_is_added_while_the_configured_leaders_engine_is_stopped`
    UP_LEADER_ENGINE_STOPPED = 24;
    /// `a_node_in_a_foreign_swarm_is_refused_and_left_alone`
    UP_FOREIGN_SWARM = 25;
    /// `up_killed_while_joining_converges_on_a_rerun_without_duplicates`
    UP_KILLED_WHILE_JOINING = 26;
    /// `a_node_that_cannot_reach_the_managers_port_fails_clearly_and_a_rerun_finishes`
    UP_PORT_UNREACHABLE = 27;
    /// `a_worker_that_cannot_reach_the_gossip_port_is_not_joined_and_the_others_converge`
    UP_GOSSIP_PORT_DROPPED = 28;

    // tests/verify.rs
    /// `verify_passes_after_up_and_reports_each_delta_on_the_right_node`
    VERIFY_DELTAS = 30;
    /// `verify_exits_2_when_every_manager_is_unreachable`
    VERIFY_NO_MANAGER = 31;
    /// `a_label_with_terminal_escapes_is_shown_escaped_and_kept_exact_in_json`
    VERIFY_SPOOFED_LABEL = 32;

    // tests/readme.rs
    /// `just_swarm_up_and_swarm_verify_work_on_a_lab`
    README_JUST_RECIPES = 40;

    // tests/bench.rs
    /// `bench_quick_runs_every_3_plus_3_scenario_and_writes_the_table`:
    /// held, not used as a test lab; `bench/run` makes its own lab on this
    /// id's subnet.
    BENCH_QUICK = 45;

    // tests/lab.rs (more)
    /// `lab_status_json_matches_the_schema_and_lab_list_names_the_lab`
    LAB_STATUS_JSON = 50;
    /// `lab_up_says_what_the_kernel_lacks_for_the_data_plane_and_status_keeps_it`
    LAB_DATA_PLANE = 51;

    // tests/lab_scale.rs
    /// the 3+40 lab whose nodes all reach each other
    SCALE_3_PLUS_40 = 100;
    /// the latency relay
    SCALE_LATENCY = 101;
    /// `cold_3_plus_100_converges_in_one_up_with_exactly_103_entries_5_times`
    /// (ignored by default: `just test-scale`)
    SCALE_COLD_3_PLUS_100 = 102;

    // tests/engines.rs
    /// the swarm scenario on dockerd 26.1
    ENGINES_26 = 110;
    /// 20.10 managers with 26.1 workers
    ENGINES_MIXED_OLD_MANAGERS = 111;
    /// 26.1 managers with 20.10 workers
    ENGINES_MIXED_NEW_MANAGERS = 112;

    // tests/ssh_trust.rs
    /// `revoked_host_keys_are_refused_in_every_mode`
    TRUST_REVOKED = 120;
    /// `host_certificates_are_verified_against_cert_authority_lines`
    TRUST_CERT_AUTHORITY = 121;
    /// `an_included_ssh_config_reaches_the_nodes_and_proxycommand_is_refused`
    TRUST_INCLUDE_PROXYCOMMAND = 122;

    // tests/safety.rs
    /// `no_second_swarm_when_the_managers_are_unreachable_and_the_leader_left`
    SAFETY_NO_SECOND_SWARM = 140;
    /// `a_locked_manager_is_locked_everywhere_and_never_a_stray`
    SAFETY_LOCKED = 141;
    /// `quorum_loss_is_said_by_status_verify_and_up_and_nothing_says_no_swarm`
    SAFETY_QUORUM_LOSS = 142;
    /// `a_hung_worker_engine_is_reported_within_the_bound_and_converges_after_sigcont`
    SAFETY_HUNG_ENGINE = 143;
    /// `two_concurrent_ups_converge_once`
    SAFETY_CONCURRENT = 144;
    /// `a_join_cut_half_way_is_repaired_by_the_next_up_without_manual_steps`
    SAFETY_JOIN_CUT = 145;

    // tests/lifecycle_down.rs
    /// `up_prune_removes_a_manager_and_a_worker_keeping_a_leader_and_moving_tasks`
    LIFECYCLE_PRUNE = 150;
    /// `prune_of_a_manager_warns_at_two_and_refuses_losing_quorum`
    LIFECYCLE_PRUNE_QUORUM = 151;
    /// `down_dissolves_the_swarm_and_a_second_down_changes_nothing`
    LIFECYCLE_DOWN = 152;
    /// `down_on_an_inventory_whose_managers_are_in_another_swarm_touches_nothing`
    LIFECYCLE_DOWN_FOREIGN = 153;
    /// `context_names_the_current_leader_after_a_leadership_change`
    LIFECYCLE_CONTEXT = 154;
    /// `remove_makes_inventory_nodes_leave_and_drops_their_entries`
    LIFECYCLE_REMOVE = 155;
    // tests/lifecycle_swarm.rs
    /// `rotate_tokens_gives_new_tokens_and_a_new_worker_joins_with_them`
    LIFECYCLE_ROTATE_TOKENS = 160;
    /// `autolock_keeps_the_key_in_a_private_file_and_unlock_unlocks_a_restarted_manager`
    LIFECYCLE_AUTOLOCK = 161;
    /// `settings_from_the_inventory_are_applied_once_and_verify_flags_a_hand_change`
    LIFECYCLE_SETTINGS = 162;

    // tests/terminal.rs
    /// `a_cold_up_at_80_columns_fits_and_leaves_no_bar_behind`
    TERMINAL_COLD_UP_80 = 180;
    /// `security_warnings_stay_above_the_bars_and_in_the_scrollback`
    TERMINAL_HOST_KEY_WARNINGS = 181;
    /// `status_into_a_closed_pipe_exits_0_and_says_nothing`
    TERMINAL_CLOSED_PIPE = 182;
    /// `swarmadm_swarm_up_dry_run_matches_up`
    TERMINAL_ALIAS_DRY_RUN = 183;
    /// `up_check_exits_1_while_something_would_change_and_0_once_converged`
    TERMINAL_UP_CHECK = 184;
    /// `an_error_shows_its_line_then_its_sections_in_colour_on_a_terminal_only`
    /// (no lab: the id names its tmux server)
    TERMINAL_ERROR_REPORT = 185;
    /// `a_panic_says_where_to_report_it_in_colour_on_a_terminal_only`
    /// (no lab: the id names its tmux server)
    TERMINAL_PANIC_REPORT = 186;

    // tests/interrupted.rs
    /// `up_after_a_down_killed_mid_demotion_leaves_exactly_the_inventory`
    INTERRUPTED_DOWN_THEN_UP = 170;
    /// `a_ca_rotation_with_a_stopped_worker_ends_in_time_and_completes_when_it_is_back`
    INTERRUPTED_CA_ROTATION = 171;

    // tests/workload.rs
    /// `verify_workload_runs_a_task_on_every_worker_and_none_on_a_drained_manager_and_removes_it`
    WORKLOAD_PASSES = 190;
    /// `verify_workload_names_the_worker_whose_vxlan_port_is_dropped`
    WORKLOAD_VXLAN_DROPPED = 191;
    /// `a_killed_workload_run_leaves_labelled_objects_that_the_next_run_removes`
    WORKLOAD_KILLED = 192;
    /// `ctrl_c_during_a_workload_run_removes_the_service_and_network_before_exiting`
    WORKLOAD_CTRL_C = 193;
    /// `a_manager_set_back_to_active_gets_a_task_and_is_named_as_wrong_availability`
    WORKLOAD_MANAGER_ACTIVE = 194;
    /// `a_path_that_drops_full_size_packets_is_named_as_the_mtu`
    WORKLOAD_MTU = 195;
    /// `two_workload_runs_at_once_both_pass_and_neither_removes_the_other`
    WORKLOAD_CONCURRENT = 196;
    /// `publish_reports_the_routing_mesh_as_not_run_without_ipvs_and_the_rest_still_runs`
    WORKLOAD_PUBLISH = 197;
    /// `an_image_the_nodes_cannot_get_is_named_without_waiting_out_the_timeout`
    WORKLOAD_NO_IMAGE = 198;
    /// `a_worker_cut_off_from_gossip_is_named_as_not_having_learned_the_tasks`
    WORKLOAD_GOSSIP_DROPPED = 199;
    /// `a_worker_without_the_image_is_named_without_waiting_out_the_timeout`
    WORKLOAD_ONE_WITHOUT_IMAGE = 200;

    // tests/workload.rs (more)
    /// `with_the_linear_plan_the_worker_whose_vxlan_port_is_dropped_is_named_in_its_four_pings`
    WORKLOAD_LINEAR_VXLAN_DROPPED = 210;

    // tests/partition.rs
    /// `a_partitioned_manager_is_named_partitioned_and_the_other_nodes_converge`
    PARTITION_FOLLOWER = 205;
    /// `an_isolated_raft_leader_never_gives_a_pass`
    PARTITION_LEADER = 206;
    /// `a_minority_vantage_point_says_quorum_unknown_and_advises_no_new_cluster`
    PARTITION_MINORITY = 207;
    /// `verify_workload_names_a_stopped_worker_and_probes_the_others`
    PARTITION_STOPPED_WORKER = 208;

    // tests/handoff.rs
    /// `context_through_an_alias_included_from_the_users_ssh_config_reaches_the_swarm`
    HANDOFF_ALIAS = 225;
    /// `context_with_the_config_only_through_f_says_why_and_check_fails`
    HANDOFF_ONLY_F = 226;
    /// `tunnel_serves_the_leader_follows_it_and_removes_its_socket`
    HANDOFF_TUNNEL = 227;
    /// `tunnel_refuses_a_foreign_path_bounds_its_clients_and_says_when_no_manager_answers`
    HANDOFF_REFUSED = 228;

    // tests/bounded.rs
    /// `dev_zero_and_a_fifo_as_known_hosts_or_identity_file_are_refused_at_once`
    BOUNDED_FILES = 235;
    /// `a_result_that_cannot_be_written_is_an_error_naming_it`
    BOUNDED_OUTPUTS = 236;
    /// `an_engine_reply_that_never_ends_fails_that_worker_alone_within_the_timeout`
    BOUNDED_ENDLESS_REPLY = 237;
    /// `unlock_with_every_node_unreachable_fails_naming_them`
    BOUNDED_UNLOCK_UNREACHABLE = 238;
    /// `the_node_list_cap_fits_ten_thousand_nodes`
    BOUNDED_NODE_LIST_SIZE = 239;
    /// `an_unlock_key_file_in_a_missing_directory_is_refused_before_connecting`
    BOUNDED_KEY_FILE_DIRECTORY = 65;
    /// `a_command_that_fails_as_a_whole_says_so_on_stderr_too`
    BOUNDED_ERRORS_ON_STDERR = 66;
    /// `an_ssh_port_that_does_not_speak_ssh_2_is_named_for_what_it_answered`
    BOUNDED_NOT_SSH = 67;
    /// `a_silent_ssh_agent_is_given_up_with_one_warning_and_the_keys_log_in`
    BOUNDED_SILENT_AGENT = 68;

    // tests/recover.rs
    /// `a_quorum_lost_for_good_is_recovered_and_the_wiped_managers_join_again`
    RECOVER_WIPED = 215;
    /// `a_lost_manager_that_comes_back_with_its_old_state_is_a_member_of_the_recovered_swarm`
    RECOVER_OLD_STATE = 216;
    /// `recover_with_autolock_is_refused_up_front_and_changes_nothing`
    RECOVER_AUTOLOCK = 217;
    /// `recover_is_refused_while_a_manager_is_only_cut_off_naming_it`
    RECOVER_PARTITIONED = 218;

    // tests/recover.rs (more)
    /// `recover_without_a_terminal_and_without_yes_refuses_with_exit_2_and_changes_nothing`
    RECOVER_NO_TERMINAL = 60;
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{ALL, RESERVED};

    #[test]
    fn lab_ids_are_unique_and_1_to_254() {
        let mut seen = BTreeMap::new();
        for &(name, id) in ALL {
            assert!((1..=254).contains(&id), "{name} = {id}: ids are 1 to 254");
            if let Some(other) = seen.insert(id, name) {
                panic!("{name} and {other} both use lab id {id}");
            }
        }
    }

    #[test]
    fn no_lab_id_takes_a_reserved_range() {
        for &(name, id) in ALL {
            for &(first, last, owner) in RESERVED {
                assert!(
                    !(first..=last).contains(&id),
                    "{name} = {id} is in {first}–{last}, reserved for {owner}"
                );
            }
        }
    }
}
