//! Nodes that start together on one empty database: exactly one applies the migrations, the
//! others wait for it, and all of them then serve the same data.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_configured};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_at_once_on_an_empty_database_all_come_up() {
    let data_dir = tempfile::tempdir().expect("folder");
    let path = data_dir.path().to_path_buf();
    let nodes: Vec<TestApp> = join_all((0..4).map(|_| {
        let path = path.clone();
        spawn_app_configured(move |config| config.data_dir = path)
    }))
    .await;

    let created = nodes[0]
        .create_user(json!({"username": "started_together"}))
        .await;
    for node in &nodes {
        let seen = node.user(created["id"].as_str().expect("id")).await;
        assert_eq!(seen["username"], "started_together");
    }
}
