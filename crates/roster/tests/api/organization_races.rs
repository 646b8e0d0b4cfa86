//! Two `roster serve` processes on one database (the shared SQLite file, or PostgreSQL with
//! `ROSTER_TEST_DATABASE_URL`): membership adds racing for an organization's last seats,
//! through both nodes at once, never exceed `max_allowed_memberships`, and one user added
//! twice at once becomes one member; user deletes, removals and adds racing on both nodes keep
//! every organization's count equal to its members; invitations of one address racing on both
//! nodes leave one pending.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{RosterProcess, start_roster};

const KEY: &str = "sk_test_org_races_0123456789abcdef0123456789abcdef";

struct Nodes {
    nodes: [RosterProcess; 2],
    client: reqwest::Client,
    _data_dir: tempfile::TempDir,
}

impl Nodes {
    async fn start() -> Nodes {
        let data_dir = tempfile::tempdir().expect("folder");
        let first = start_roster(data_dir.path(), KEY, &[]).await;
        let second = start_roster(data_dir.path(), KEY, &[]).await;
        Nodes {
            nodes: [first, second],
            client: reqwest::Client::new(),
            _data_dir: data_dir,
        }
    }

    async fn call(
        &self,
        node: usize,
        method: reqwest::Method,
        path: String,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}/v1{path}", self.nodes[node % 2].base);
        let mut request = self.client.request(method, url).bearer_auth(KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn post(&self, node: usize, path: String, body: Value) -> (u16, Value) {
        self.call(node, reqwest::Method::POST, path, Some(body))
            .await
    }

    async fn created(&self, node: usize, path: &str, body: Value) -> String {
        let (status, body) = self.post(node, path.to_owned(), body).await;
        assert_eq!(status, 200, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_adds_never_exceed_the_seats() {
    let nodes = Nodes::start().await;
    const SEATS: i64 = 5;
    const RACERS: usize = 16;
    let org = nodes
        .created(
            0,
            "/organizations",
            json!({"name": "Race", "max_allowed_memberships": SEATS}),
        )
        .await;
    let mut users = Vec::new();
    for i in 0..RACERS {
        users.push(
            nodes
                .created(i, "/users", json!({"first_name": format!("r{i}")}))
                .await,
        );
    }
    let path = format!("/organizations/{org}/memberships");
    let answers = join_all(users.iter().enumerate().map(|(i, user)| {
        nodes.post(
            i,
            path.clone(),
            json!({"user_id": user, "role": "org:member"}),
        )
    }))
    .await;
    let won = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(won as i64, SEATS, "{answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!(*status, 403, "{body}");
        assert_eq!(
            body["errors"][0]["code"],
            "organization_membership_quota_exceeded"
        );
    }
    for node in 0..2 {
        let (_, listed) = nodes
            .call(
                node,
                reqwest::Method::GET,
                format!("{path}?limit=100"),
                None,
            )
            .await;
        assert_eq!(listed["total_count"], SEATS, "node {node}");
        let (_, counted) = nodes
            .call(
                node,
                reqwest::Method::GET,
                format!("/organizations/{org}?include_members_count=true"),
                None,
            )
            .await;
        assert_eq!(counted["members_count"], SEATS, "node {node}");
    }

    // One user added many times at once is one member.
    let open = nodes
        .created(1, "/organizations", json!({"name": "Open"}))
        .await;
    let path = format!("/organizations/{open}/memberships");
    let answers = join_all((0..8).map(|i| {
        nodes.post(
            i,
            path.clone(),
            json!({"user_id": users[0], "role": "org:member"}),
        )
    }))
    .await;
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{answers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_deletes_removals_and_adds_keep_the_counts_true() {
    let nodes = Nodes::start().await;
    let first = nodes
        .created(0, "/organizations", json!({"name": "First"}))
        .await;
    let second = nodes
        .created(1, "/organizations", json!({"name": "Second"}))
        .await;
    let mut users = Vec::new();
    for i in 0..12 {
        let user = nodes
            .created(i, "/users", json!({"first_name": format!("u{i}")}))
            .await;
        for org in [&first, &second] {
            let (status, body) = nodes
                .post(
                    i,
                    format!("/organizations/{org}/memberships"),
                    json!({"user_id": user, "role": "org:admin"}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
        users.push(user);
    }
    // A third of the users are deleted, a third leave the first organization, and a third are
    // added to a new one, all at once across both nodes.
    let third = nodes
        .created(0, "/organizations", json!({"name": "Third"}))
        .await;
    let answers = join_all(users.iter().enumerate().map(|(i, user)| {
        let (method, path, body) = match i % 3 {
            0 => (reqwest::Method::DELETE, format!("/users/{user}"), None),
            1 => (
                reqwest::Method::DELETE,
                format!("/organizations/{first}/memberships/{user}"),
                None,
            ),
            _ => (
                reqwest::Method::POST,
                format!("/organizations/{third}/memberships"),
                Some(json!({"user_id": user, "role": "org:member"})),
            ),
        };
        nodes.call(i, method, path, body)
    }))
    .await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    for (org, members) in [(&first, 4), (&second, 8), (&third, 4)] {
        for node in 0..2 {
            let (_, listed) = nodes
                .call(
                    node,
                    reqwest::Method::GET,
                    format!("/organizations/{org}/memberships?limit=100"),
                    None,
                )
                .await;
            assert_eq!(listed["total_count"], members, "{org} on node {node}");
            let (_, counted) = nodes
                .call(
                    node,
                    reqwest::Method::GET,
                    format!("/organizations/{org}?include_members_count=true"),
                    None,
                )
                .await;
            assert_eq!(counted["members_count"], members, "{org} on node {node}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_invitations_to_one_address_leave_one_pending() {
    let nodes = Nodes::start().await;
    let org = nodes
        .created(0, "/organizations", json!({"name": "Invites"}))
        .await;
    let path = format!("/organizations/{org}/invitations");
    let replies = join_all((0..8).map(|i| {
        nodes.post(
            i,
            path.clone(),
            json!({"email_address": "same@example.com", "role": "org:member"}),
        )
    }))
    .await;
    let created = replies.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(created, 1, "{replies:?}");
    for (status, body) in &replies {
        assert!(*status == 200 || *status == 400, "{status} {body}");
    }
    let (status, page) = nodes.call(1, reqwest::Method::GET, path, None).await;
    assert_eq!(status, 200);
    assert_eq!(page["total_count"], 1);
}
