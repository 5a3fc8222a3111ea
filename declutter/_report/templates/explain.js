(function () {
  "use strict";
  var page = document.getElementById("dc-page");
  var table = document.getElementById("dc-removals");
  if (!page || !table) { return; }
  var focused = null;
  var activeRow = null;
  function target(index) {
    return page.querySelector("[data-dc-index~=\"" + index + "\"]");
  }
  function select(row, scrollRow) {
    if (activeRow) { activeRow.classList.remove("dc-row-active"); }
    activeRow = row;
    row.classList.add("dc-row-active");
    if (scrollRow) { row.scrollIntoView({block: "nearest"}); }
  }
  function show(row) {
    var index = row.getAttribute("data-dc-row");
    if (!/^[0-9]+$/.test(index || "")) { return; }
    select(row, false);
    if (focused) { focused.classList.remove("dc-focus"); }
    focused = target(index);
    if (!focused) { return; }
    focused.classList.add("dc-focus");
    focused.scrollIntoView({block: "center", inline: "nearest"});
  }
  var rows = table.querySelectorAll("tbody tr[data-dc-row]");
  Array.prototype.forEach.call(rows, function (row) {
    row.addEventListener("click", function () { show(row); });
    row.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        show(row);
      }
    });
  });
  page.addEventListener("click", function (event) {
    var node = event.target;
    var marked = node && node.closest ? node.closest("[data-dc-index]") : null;
    if (!marked) { return; }
    var index = (marked.getAttribute("data-dc-index") || "").split(" ")[0];
    var row = table.querySelector("tr[data-dc-row=\"" + index + "\"]");
    if (row) { select(row, true); }
  });
}());
