//! Escalation policies: the list, and an editor that builds one level at a time (who — people or
//! schedules — and how long to wait before the next level), with repeats.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use tocsin_domain::api::{OnCallNow, PolicyView};
use tocsin_domain::escalation::Target;

use crate::api::{self, ApiError};
use crate::components::{ErrorNote, Field};
use crate::state::{handle_error, session};

#[derive(Clone, Debug, PartialEq)]
struct Draft {
    targets: Vec<String>,
    delay: String,
}

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let session = session();
    let list: RwSignal<Vec<PolicyView>> = RwSignal::new(Vec::new());
    let schedules: RwSignal<Option<OnCallNow>> = RwSignal::new(None);
    let people: RwSignal<Vec<(String, String)>> = RwSignal::new(Vec::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let load = move || {
        spawn_local(async move {
            match api::policies().await {
                Ok(p) => list.set(p.escalation_policies),
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
            if let Ok(s) = api::on_call_now().await {
                // Everyone currently known to a schedule, plus the signed-in person.
                let mut known: Vec<(String, String)> = s.schedules.iter().flat_map(|x| x.on_call.iter().map(|p| (p.id.to_string(), p.name.clone()))).collect();
                if let crate::state::Session::LoggedIn(me) = session.get_untracked() {
                    known.push((me.user.id.to_string(), me.user.name.clone()));
                }
                known.sort();
                known.dedup();
                people.set(known);
                schedules.set(Some(s));
            }
        })
    };
    load();
    let name = RwSignal::new(String::new());
    let repeats = RwSignal::new("0".to_string());
    let levels: RwSignal<Vec<Draft>> = RwSignal::new(vec![Draft { targets: vec![], delay: "5".into() }]);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lv: Vec<serde_json::Value> = levels
            .get()
            .iter()
            .map(|l| {
                let targets: Vec<serde_json::Value> = l
                    .targets
                    .iter()
                    .map(|t| match t.split_once(':') {
                        Some(("schedule", id)) => json!({"type": "schedule", "id": id}),
                        Some((_, id)) => json!({"type": "user", "id": id}),
                        None => json!({"type": "user", "id": t}),
                    })
                    .collect();
                json!({"targets": targets, "delay_minutes": l.delay.trim().parse::<u32>().unwrap_or(0)})
            })
            .collect();
        let body = json!({"name": name.get(), "repeats": repeats.get().trim().parse::<u32>().unwrap_or(0), "levels": lv});
        spawn_local(async move {
            match api::create_policy(&body).await {
                Ok(_) => {
                    name.set(String::new());
                    levels.set(vec![Draft { targets: vec![], delay: "5".into() }]);
                    error.set(None);
                    load();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let describe = move |t: &Target| -> String {
        match t {
            Target::User(u) => people.get().iter().find(|(id, _)| id == u.as_str()).map(|(_, n)| n.clone()).unwrap_or_else(|| u.to_string()),
            Target::Schedule(s) => schedules
                .get()
                .and_then(|x| x.schedules.iter().find(|y| &y.schedule_id == s).map(|y| format!("on call in {}", y.name)))
                .unwrap_or_else(|| s.clone()),
        }
    };
    view! {
        <h1 class="page-title">"Escalation policies"</h1>
        <ul class="events">
            {move || list.get().into_iter().map(|p| view! {
                <li>
                    <div class="alert-summary">{p.name.clone()}</div>
                    <ol class="levels">
                        {p.policy.levels.iter().map(|l| view! {
                            <li>{l.targets.iter().map(describe).collect::<Vec<_>>().join(", ")}" · then "{l.delay_minutes}" min"</li>
                        }).collect_view()}
                    </ol>
                    <div class="card-meta">{format!("repeats {} time(s)", p.policy.repeats)}</div>
                </li>
            }).collect_view()}
        </ul>
        <form class="panel" on:submit=submit aria-label="New escalation policy">
            <h2>"New policy"</h2>
            <Field name="name" id="policy-name" label="Name" value=name error=error/>
            {move || levels.get().into_iter().enumerate().map(|(i, l)| {
                let delay = RwSignal::new(l.delay.clone());
                Effect::new(move |_| {
                    let d = delay.get();
                    levels.update_untracked(|v| if let Some(x) = v.get_mut(i) { x.delay = d });
                });
                // Tracked: the choices appear once schedules and people have loaded.
                let options: Vec<(String, String)> = schedules
                    .get()
                    .map(|s| s.schedules.iter().map(|x| (format!("schedule:{}", x.schedule_id), format!("Whoever is on call in {}", x.name))).collect::<Vec<_>>())
                    .unwrap_or_default()
                    .into_iter()
                    .chain(people.get().into_iter().map(|(id, n)| (format!("user:{id}"), n)))
                    .collect();
                view! {
                    <fieldset class="field">
                        <legend>{format!("Level {}", i + 1)}</legend>
                        {options.into_iter().map(|(value, label)| {
                            let box_id = format!("lv{i}-{value}");
                            let v = value.clone();
                            view! {
                                <div class="field check">
                                    <input type="checkbox" id=box_id.clone() on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let v = v.clone();
                                        levels.update_untracked(|all| if let Some(x) = all.get_mut(i) {
                                            x.targets.retain(|t| t != &v);
                                            if on { x.targets.push(v); }
                                        });
                                    }/>
                                    <label for=box_id>{label}</label>
                                </div>
                            }
                        }).collect_view()}
                        <Field name="delay_minutes" id=format!("lv{i}-delay") label="Minutes before the next level" kind="number" value=delay error=error/>
                    </fieldset>
                }
            }).collect_view()}
            <button class="btn" type="button" on:click=move |_| levels.update(|v| v.push(Draft { targets: vec![], delay: "5".into() }))>"Add a level"</button>
            <Field name="repeats" id="policy-repeats" label="Repeat the whole policy (times)" kind="number" value=repeats error=error/>
            <ErrorNote error=error/>
            <button class="btn primary" type="submit">"Create policy"</button>
        </form>
    }
}
