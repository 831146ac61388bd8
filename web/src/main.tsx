import "@mantine/core/styles.css";
import "@mantine/notifications/styles.css";
import "./styles.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";

// A tab opened before a new release asks for page chunks the server no longer has (their names
// are content hashes): load the new release instead, at most once a minute so a broken build
// cannot reload for ever.
window.addEventListener("vite:preloadError", (event) => {
  const last = Number(sessionStorage.getItem("licensor-reloaded-at") ?? 0);
  if (Date.now() - last < 60_000) return;
  event.preventDefault();
  sessionStorage.setItem("licensor-reloaded-at", String(Date.now()));
  window.location.reload();
});

const root = document.getElementById("root");
if (!root) throw new Error("#root is missing from index.html");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
