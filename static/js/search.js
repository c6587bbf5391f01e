/* The public search page (cms/templates/cms/search.html).

   Without JavaScript the form loads a new page. With htmx only #search-results is replaced and
   the address follows; this script then does what a page load would have done: the document's
   title becomes the new results' title, and the focus moves to the results heading, so that a
   screen reader reads out the heading (「…」の検索結果) and the count that follows it. */
(function () {
  "use strict";

  document.addEventListener("htmx:afterSwap", function (event) {
    const results = document.getElementById("search-results");
    if (!results || (event.detail.elt !== results && !results.contains(event.detail.elt))) return;
    if (results.dataset.title) document.title = results.dataset.title;
    const heading = document.getElementById("search-results-heading");
    if (heading) heading.focus({ preventScroll: false });
  });
})();
