// Uploads (picked or dropped), one request per file, each with its own progress bar. The body is the file itself
// (no multipart form): the server seals it into the vault as it arrives.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("files");
  if (!input) return;
  const list = document.getElementById("uploads");
  const say = input.dataset;

  function upload(file) {
    const row = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = file.name + " ";
    const bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    const result = document.createElement("span");
    result.className = "result";
    row.append(label, bar, result);
    list.append(row);
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/upload?name=" + encodeURIComponent(file.name));
      xhr.setRequestHeader("X-CSRF-Token", say.csrf);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.onprogress = (e) => { bar.value = e.loaded; };
      xhr.onload = () => {
        bar.value = bar.max;
        let text = " " + say.failed;
        try {
          const doc = JSON.parse(xhr.responseText);
          if (doc.added.length) {
            const r = doc.added[0];
            text = " " + (r.duplicate ? say.duplicate : say.added) + ", " + r.events + " " + say.events;
            if (r.warning) text += " (" + r.warning + ")";
            row.className = "good";
          } else if (doc.failures.length) {
            text = " " + say.failed + ": " + doc.failures[0].message;
            row.className = "bad";
          }
        } catch (_) {
          row.className = "bad";
        }
        result.textContent = text;
        resolve();
      };
      xhr.onerror = () => { result.textContent = " " + say.failed; row.className = "bad"; resolve(); };
      xhr.send(file);
    });
  }

  async function uploadAll(files) {
    // One at a time: the locker takes one file after another anyway.
    for (const file of Array.from(files)) await upload(file);
  }

  input.addEventListener("change", async () => {
    await uploadAll(input.files);
    input.value = "";
  });

  // Files dropped anywhere on the drop zone go the same way.
  const zone = document.getElementById("drop");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    uploadAll(e.dataTransfer.files);
  });
});
