// Uploads (picked, a picked folder, or dropped), one request per file, each with its own progress bar. The body is
// the file itself (no multipart form): the server seals it into the vault as it arrives. Each pick or drop is one
// batch: its files are judged together once the last is in (/upload/finish), and the files of a picked or dropped folder
// carry their path inside it, since a phone backup's files are read together (its info.xml first).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const zone = document.getElementById("drop");
  if (!zone) return;
  const list = document.getElementById("uploads");
  const finished = document.getElementById("finished");
  const password = document.getElementById("backup-password");
  const say = zone.dataset;

  function newBatch() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function post(url, body, onprogress) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRF-Token", say.csrf);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      if (password && password.value) {
        xhr.setRequestHeader("X-Backup-Password", encodeURIComponent(password.value));
      }
      if (onprogress) xhr.upload.onprogress = onprogress;
      xhr.onload = () => {
        try {
          resolve(xhr.status === 200 ? JSON.parse(xhr.responseText) : null);
        } catch (_) {
          resolve(null);
        }
      };
      xhr.onerror = () => resolve(null);
      xhr.send(body);
    });
  }

  async function upload(file, path, batch) {
    const row = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = path + " ";
    const bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    const result = document.createElement("span");
    result.className = "result";
    row.append(label, bar, result);
    list.append(row);
    const url = "/upload?name=" + encodeURIComponent(path) + "&batch=" + batch;
    const doc = await post(url, file, (e) => { bar.value = e.loaded; });
    bar.value = bar.max;
    let text = " " + say.failed;
    row.className = "bad";
    if (doc && doc.added.length) {
      const r = doc.added[0];
      text = " " + (r.duplicate ? say.duplicate : say.added) + ", " + r.events + " " + say.events;
      if (r.warning) text += " (" + r.warning + ")";
      row.className = "good";
    } else if (doc && doc.skipped.length) {
      text = " " + say.skipped;
      row.className = "skipped";
    } else if (doc && doc.failures.length) {
      text = " " + say.failed + ": " + doc.failures[0].message;
    }
    result.textContent = text;
  }

  // A folder's files in the order `locker add FOLDER` takes them: folder by folder, info.xml first in each;
  // hidden files and folders left out, as there. Each entry is {file, path}, path inside the picked folder.
  function inFolderOrder(entries) {
    const shown = entries.filter((e) => !e.path.split("/").some((p) => p.startsWith(".")));
    const key = (e) => {
      const parts = e.path.split("/");
      const name = parts.pop();
      return [parts.join("/"), name === "info.xml" ? "" : "\u0001" + name];
    };
    return shown.sort((a, b) => {
      const [fa, na] = key(a);
      const [fb, nb] = key(b);
      return fa < fb ? -1 : fa > fb ? 1 : na < nb ? -1 : na > nb ? 1 : 0;
    });
  }

  async function uploadAll(entries) {
    const batch = newBatch();
    finished.textContent = "";
    // One at a time: the locker takes one file after another anyway.
    for (const e of entries) await upload(e.file, e.path, batch);
    finished.textContent = say.finishing;
    await post("/upload/finish?batch=" + batch, null, null);
    finished.textContent = say.done;
  }

  const input = document.getElementById("files");
  input.addEventListener("change", async () => {
    await uploadAll(Array.from(input.files, (f) => ({ file: f, path: f.name })));
    input.value = "";
  });
  const folder = document.getElementById("folder");
  folder.addEventListener("change", async () => {
    await uploadAll(inFolderOrder(Array.from(folder.files, (f) => ({ file: f, path: f.webkitRelativePath }))));
    folder.value = "";
  });

  // A dropped folder is walked as a picked one is: its files with their paths inside it (the folder's own
  // name first, as the picker gives it).
  function readAll(reader) {
    return new Promise((resolve, reject) => {
      const found = [];
      const more = () => reader.readEntries((batch) => {
        if (!batch.length) return resolve(found);
        found.push(...batch);
        more();
      }, reject);
      more();
    });
  }
  async function walk(entry, out) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ file, path: entry.fullPath.replace(/^\//, "") });
    } else if (entry.isDirectory) {
      for (const child of await readAll(entry.createReader())) await walk(child, out);
    }
  }

  // Files and folders dropped anywhere on the drop zone go the same way.
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const items = Array.from(e.dataTransfer.items || []);
    const entries = items.map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
    if (!entries.some((x) => x && x.isDirectory)) {
      await uploadAll(Array.from(e.dataTransfer.files, (f) => ({ file: f, path: f.name })));
      return;
    }
    const found = [];
    try {
      for (const entry of entries) if (entry) await walk(entry, found);
    } catch (_) {
      finished.textContent = say.failed;
      return;
    }
    await uploadAll(inFolderOrder(found));
  });
});
