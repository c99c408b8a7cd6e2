//! The seeded clinics' names and one helper per endpoint; the server itself is in
//! `test_server.rs`.

use reqwest::header::{ACCEPT, CONTENT_TYPE, ORIGIN, REFERER};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use app::entities::{user, user_room};

pub use crate::answers::*;
use app::accounts::{Status, UserType};
use server::seed;

pub const PASSWORD: &str = "Correct-Horse-42";
pub const ADMIN_A: &str = "admin@clinic-a.test";
pub const ADMIN_B: &str = "admin@clinic-b.test";
pub const PATIENT_A: &str = "pat.patient@example.com";
pub const JANE_ID: i64 = 21_408_246;
/// 2022-04-08 14:23:38 UTC
pub const JANE_SIGNED_UP: i64 = 1_649_427_818_000;

impl TestApp {
    /// A link relative to this server, for a link from an email.
    pub fn local(&self, link: &str) -> String {
        link.replace("http://frontdesk.test", "")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A client that keeps cookies and does not follow redirects.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client")
    }

    /// Calls a server function the way the app's own wasm does (no `Accept: text/html`).
    pub async fn call(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encode(form))
            .send()
            .await
            .expect("request")
    }

    pub async fn login(&self, client: &Client, username: &str, password: &str) -> Response {
        self.call(
            client,
            "auth/login",
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// A client signed in as `username`.
    pub async fn signed_in(&self, username: &str) -> Client {
        let client = self.client();
        let response = self.login(&client, username, PASSWORD).await;
        assert_eq!(response.status(), 200, "sign-in as {username} failed");
        client
    }

    /// Signs in the way a browser without JavaScript does: a form post that wants HTML.
    pub async fn login_as_browser(
        &self,
        client: &Client,
        username: &str,
        password: &str,
    ) -> Response {
        client
            .post(self.url("/api/auth/login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(REFERER, self.url("/login"))
            .header(ORIGIN, format!("http://{}", self.addr))
            .body(encode(&[("username", username), ("password", password)]))
            .send()
            .await
            .expect("request")
    }

    /// A visit of `user_id` in `room_id`, entered just now, as `status` ("waiting",
    /// "in_progress", …); an in-progress one started by `by`. Returns its ID.
    pub async fn visit(&self, user_id: i64, room_id: i64, status: &str, by: Option<i64>) -> i64 {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        let now = app::db::now_ms();
        app::entities::visit::ActiveModel {
            clinic_id: Set(1),
            room_id: Set(room_id),
            user_id: Set(user_id),
            reason: Set("Ear pain".to_owned()),
            status: Set(status.to_owned()),
            entered_at: Set(now),
            ended_at: Set(None),
            started_at: Set(by.map(|_| now)),
            started_by: Set(by),
            ended_by: Set(None),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("visit")
        .id
    }

    /// A guest "{first} Visitor" entering `/u/jessica` from `address` (each address enters
    /// a few guests at most); returns their client, in the waiting room.
    pub async fn enter_guest(&self, address: &str, first: &str) -> Client {
        let guest = client_from(address);
        let entered = self
            .call(
                &guest,
                "patients/enter",
                &[
                    ("slug", "jessica"),
                    ("first_name", first),
                    ("last_name", "Visitor"),
                    ("reason", "Ear pain"),
                ],
            )
            .await;
        assert_eq!(entered.status(), 200, "{first} entered");
        guest
    }

    /// Dates back the visit of the guest named `first`: ended (left) `days` days ago, and
    /// entered, like their record was made, a day before that.
    pub async fn date_back_guest(&self, first: &str, days: i64) {
        let day = 86_400_000_i64;
        let now = app::db::now_ms();
        self.db
            .execute_unprepared(&format!(
                "UPDATE visits SET status = 'left', entered_at = {e}, ended_at = {x} \
                 WHERE user_id IN (SELECT id FROM users WHERE first_name = '{first}'); \
                 UPDATE users SET signed_up_at = {e} WHERE first_name = '{first}'",
                e = now - (days + 1) * day,
                x = now - days * day
            ))
            .await
            .expect("dated back");
    }

    /// The ID of the room whose link is `/u/{slug}`.
    pub async fn room_id(&self, slug: &str) -> i64 {
        app::entities::room::Entity::find()
            .all(&self.db)
            .await
            .expect("rooms")
            .into_iter()
            .find(|r| r.slug == slug)
            .unwrap_or_else(|| panic!("no room {slug}"))
            .id
    }

    /// A search of the users table.
    pub async fn list_members(&self, client: &Client, q: &str) -> Response {
        self.list(client, &[("q", q)]).await
    }

    /// The users table in the view given by URL-style pairs (`status`, `sort`, `after`, …).
    pub async fn list(&self, client: &Client, view: &[(&str, &str)]) -> Response {
        self.view(client, "members/list", view).await
    }

    /// A users-table server function (`members/list`, `members/table`) called for the view
    /// given by URL-style pairs.
    pub async fn view(&self, client: &Client, endpoint: &str, view: &[(&str, &str)]) -> Response {
        let fields: Vec<(String, &str)> = view
            .iter()
            .map(|(k, v)| (format!("query[{k}]"), *v))
            .collect();
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.call(client, endpoint, &form).await
    }

    /// Adds `n` members to clinic A's first room, all named `first last` and signed up at
    /// `signed_up` (ties on purpose), with IDs from `first_id`.
    pub async fn add_members(
        &self,
        n: i64,
        first_id: i64,
        first: &str,
        last: &str,
        signed_up: i64,
    ) {
        let room = self.room_id("jessica").await;
        let clinic = 1;
        let ids: Vec<i64> = (first_id..first_id + n).collect();
        for chunk in ids.chunks(500) {
            let users = chunk.iter().map(|&id| {
                let email = format!(
                    "{}.{}{id}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase()
                );
                seed::user_model(
                    id,
                    clinic,
                    UserType::Member,
                    &email,
                    &email,
                    first,
                    last,
                    Status::Active,
                    signed_up,
                    None,
                    None,
                )
            });
            user::Entity::insert_many(users)
                .exec(&self.db)
                .await
                .expect("insert");
            let links = chunk.iter().map(|&id| user_room::ActiveModel {
                user_id: Set(id),
                room_id: Set(room),
                assigned_at: Set(signed_up),
            });
            user_room::Entity::insert_many(links)
                .exec(&self.db)
                .await
                .expect("rooms");
        }
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.expect("request")
    }

    /// A page's HTML as a signed-out browser is served it.
    pub async fn page_html(&self, path: &str) -> String {
        self.get(&self.client(), path)
            .await
            .text()
            .await
            .expect("a page")
    }
}

impl TestApp {
    /// Calls a server function that takes JSON, as the app's wasm does for its forms.
    pub async fn call_json(
        &self,
        client: &Client,
        endpoint: &str,
        body: serde_json::Value,
    ) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    /// Deletes member `id`, confirmed by typing `username`, as the Delete dialog does.
    pub async fn delete_member(&self, client: &Client, id: i64, username: &str) -> Response {
        self.call_json(
            client,
            "members/delete",
            serde_json::json!({"id": id, "confirm_username": username}),
        )
        .await
    }

    /// The caller's visit and place, as a waiting page first asks for it (showing nothing).
    pub async fn queue(&self, client: &Client) -> serde_json::Value {
        json(
            self.call_json(
                client,
                "patients/queue",
                serde_json::json!({ "shown": null }),
            )
            .await,
        )
        .await
    }

    /// Closes room `room_id` through `rooms/set_active`, as `client`.
    pub async fn close_room(&self, client: &Client, room_id: &str) -> Response {
        self.call(
            client,
            "rooms/set_active",
            &[("id", room_id), ("active", "false")],
        )
        .await
    }

    /// Creates a member through `members/create`.
    pub async fn create_member(&self, client: &Client, member: serde_json::Value) -> Response {
        self.call_json(
            client,
            "members/create",
            serde_json::json!({ "member": member }),
        )
        .await
    }

    /// Opens a member's detail (`members/detail`).
    pub async fn detail(&self, client: &Client, id: i64) -> Response {
        self.call(client, "members/detail", &[("id", &id.to_string())])
            .await
    }

    /// The audit events about `member_id`, oldest first, as (action, changes JSON).
    pub async fn audit_of(&self, member_id: i64) -> Vec<(String, serde_json::Value)> {
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
        app::entities::audit_event::Entity::find()
            .filter(app::entities::audit_event::Column::MemberId.eq(member_id))
            .order_by_asc(app::entities::audit_event::Column::Id)
            .all(&self.db)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| (e.action, serde_json::from_str(&e.changes).expect("json")))
            .collect()
    }
}

/// The article's example member, in clinic A's first room, with an address of `email`.
pub fn new_member(clinic_id: i64, room_id: i64, email: &str) -> serde_json::Value {
    serde_json::json!({
        "clinic_id": clinic_id,
        "room_ids": [room_id],
        "user_type": "member",
        "password": "",
        "confirm_password": "",
        "profile": {
            "username": email, "first_name": "Jane", "last_name": "Gomez", "email": email,
            "dob_month": "", "dob_day": "", "dob_year": "", "address": "", "city": "",
            "state": "", "zip": "", "country": "US", "phone": "", "pcp_name": "",
            "pcp_phone": "", "timezone": "America/Los_Angeles"
        }
    })
}

/// A client whose requests come from `address` (any of 127.0.0.0/8 reaches the server).
pub fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

pub use crate::database::*;

pub use crate::test_server::*;

/// The code an app holding `secret` (base32, spaced) shows `offset` steps from now.
pub fn totp_code(secret: &str, offset: i64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret.replace(' ', ""))
        .expect("base32")
        .as_bytes()
        .to_vec();
    let totp = totp_rs::Builder::new()
        .with_secret(bytes)
        .build()
        .expect("totp");
    let now = u64::try_from(app::db::now_ms() / 1000 + offset * 30).unwrap();
    totp.generate(now).to_string()
}
