"use strict";
// The setup page: polls /status and /notes.json, refreshes the camera's view a few times a
// second while the page is visible, and posts the owner's choices like any other client.

const DEFAULT_MODES = ["live", "greedy", "baseline", "replay", "standby"];
const STATUS_EVERY_MS = 1000;
const NOTES_EVERY_MS = 500;
const VIEW_EVERY_MS = 250;  // the box sends at most 4 views a second anyway
const PITCHES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

const $ = (id) => document.getElementById(id);

function showError(text) {
  $("error").textContent = text || "";
  $("error").hidden = !text;
}

async function getJson(path) {
  const answer = await fetch(path, {cache: "no-store"});
  if (answer.status === 401) { location.reload(); }  // the login form
  return answer.json();
}

async function post(path, body) {
  const answer = await fetch(path, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  });
  if (!answer.ok) {
    const reply = await answer.json().catch(() => ({}));
    showError(`${path}: ${reply.error || answer.status}`);
  } else {
    showError("");
  }
  refreshStatus();
}

function buttons(container, names, current, onPress) {
  if (container.dataset.names !== names.join(",")) {
    container.replaceChildren(...names.map((name) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = name;
      button.dataset.name = name;
      button.addEventListener("click", () => onPress(name));
      return button;
    }));
    container.dataset.names = names.join(",");
  }
  for (const button of container.children) {
    button.classList.toggle("active", button.dataset.name === current);
  }
}

function ms(quantiles) {
  if (!quantiles || quantiles.p50 == null) { return "–"; }
  return `${Math.round(quantiles.p50)} ms typical, ${Math.round(quantiles.p99)} ms worst`;
}

function showStatus(status) {
  const health = status.health || {};
  const word = !health.alive ? "down" : health.ready ? "healthy" : "degraded";
  $("health").textContent = word;
  $("health").className = `pill ${word}`;
  const down = Object.entries(health.not_ready || {});
  $("down").hidden = down.length === 0;
  $("down-list").replaceChildren(...down.map(([name, error]) => {
    const item = document.createElement("li");
    item.textContent = `${name}: ${error}`;
    return item;
  }));
  $("mode").textContent = status.mode || "";
  buttons($("modes"), status.modes || DEFAULT_MODES, status.mode,
          (mode) => post("/mode", {command: "set", mode}));
  const sound = status.sound || {};  // {world, volume_db} once the loop plays a sound world
  $("world-section").hidden = !sound.world;
  if (sound.world) {
    $("world").textContent = sound.world;
    buttons($("worlds"), status.worlds || [sound.world], sound.world,
            (world) => post("/sound", {world}));
  }
  $("volume-section").hidden = sound.volume_db == null;
  if (sound.volume_db != null) {
    $("volume").textContent = `${sound.volume_db} dB`;
    if (document.activeElement !== $("volume-slider")) { $("volume-slider").value = sound.volume_db; }
  }
  $("present").textContent = status.person_present ? "in view" : "nobody in view";
  $("fps").textContent = `${Number(status.fps || 0).toFixed(1)} per second, ${status.frames_dropped || 0} dropped`;
  $("latency").textContent = ms((status.latency_ms || {}).end_to_end);
  $("misses").textContent = `${status.deadline_misses || 0}`;
  $("notes").textContent = `${status.notes_played || 0}`;
  const platform = status.platform || {};
  const throttled = Object.entries(platform.throttling || {})
    .filter(([flag, on]) => flag !== "raw" && on).map(([flag]) => flag);
  $("cpu").textContent = [
    platform.cpu_temperature_c != null ? `${platform.cpu_temperature_c.toFixed(0)} °C` : null,
    throttled.length ? `throttled: ${throttled.join(", ")}` : null,
  ].filter(Boolean).join(", ") || "–";
}

async function refreshStatus() {
  try {
    showStatus(await getJson("/status"));
  } catch (error) {
    $("health").textContent = "no answer";
    $("health").className = "pill down";
  }
}

function pitchName(midi) { return `${PITCHES[midi % 12]}${Math.floor(midi / 12) - 1}`; }

function drawRoll(recent) {
  const canvas = $("roll");
  const width = canvas.width = canvas.clientWidth * devicePixelRatio;
  const height = canvas.height = canvas.clientHeight * devicePixelRatio;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, width, height);
  const notes = recent.notes || [];
  const pitches = [...new Set(notes.map((n) => n.midi))].sort((a, b) => b - a);
  if (!pitches.length) { return; }
  const label = 34 * devicePixelRatio;
  const rowHeight = height / pitches.length;
  const start = recent.now_s - recent.window_s;
  const x = (t) => label + (width - label) * (t - start) / recent.window_s;
  context.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  pitches.forEach((midi, row) => {
    context.fillStyle = "#667085";
    context.fillText(pitchName(midi), 2, (row + 0.7) * rowHeight);
  });
  for (const note of notes) {
    const row = pitches.indexOf(note.midi);
    const left = Math.max(label, x(note.start_s));
    const right = x(note.end_s == null ? recent.now_s : note.end_s);
    context.fillStyle = `rgba(209, 73, 91, ${0.4 + 0.6 * (note.velocity || 100) / 127})`;
    context.fillRect(left, row * rowHeight + 1, Math.max(2, right - left - 1), rowHeight - 2);
  }
}

async function refreshNotes() {
  try { drawRoll(await getJson("/notes.json")); } catch (error) { /* shown by the status */ }
}

let views = 0;
function nextView() {
  if (document.visibilityState !== "visible") { return; }  // resumed by visibilitychange
  $("view").src = `/view.jpg?n=${views++}`;
}

$("view").addEventListener("load", () => setTimeout(nextView, VIEW_EVERY_MS));
$("view").addEventListener("error", () => setTimeout(nextView, 1000));
document.addEventListener("visibilitychange", nextView);
$("volume-slider").addEventListener("change", (event) =>
  post("/sound", {volume: "set", volume_db: Number(event.target.value)}));

refreshStatus();
refreshNotes();
nextView();
setInterval(refreshStatus, STATUS_EVERY_MS);
setInterval(refreshNotes, NOTES_EVERY_MS);
