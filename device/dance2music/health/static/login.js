"use strict";
// Sends the token once; the box answers with a cookie (HttpOnly, SameSite=Strict) that lets
// this browser in from then on.
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("error");
  const answer = await fetch("/login", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({token: document.getElementById("token").value}),
  });
  if (answer.ok) {
    location.reload();
  } else {
    error.textContent = "That is not the box's token.";
    error.hidden = false;
  }
});
