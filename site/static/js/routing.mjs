// Routing, wbs-routing/1 (docs/spec/desks-v2.md section 5): which desks a report is sealed
// to, from the rules the build embeds (#wbs-routing, compiled from site/config.toml) and the
// reporter's answers. The same function as functions/routing.py's Routing.route, run on the
// same document: the API accepts a report only if its recipients are what it gives for some
// answers, and docs/vectors/routing/ holds the cases both must agree on.

const ELEMENT = 'wbs-routing';

/** The routing document embedded in the page. */
export function embeddedRouting() {
  return JSON.parse(document.getElementById(ELEMENT).textContent);
}

/**
 * The set of desk ids a report is sealed to. `office`: an office id, or "" (not known or
 * not listed); `concernsStaff`: true when the matter concerns the inspectorate's own staff;
 * `category`: the category id.
 */
export function route(doc, office, concernsStaff, category) {
  if (concernsStaff === true && doc.escalation) return new Set([doc.escalation]);
  const chosen = doc.offices.find((o) => o.id === office);
  const desks = new Set();
  if (chosen === undefined || chosen.desk === doc.central) {
    desks.add(doc.central);
  } else {
    desks.add(chosen.desk);
    if (doc.central_receives === 'all') desks.add(doc.central);
  }
  // Own members only: a category named "constructor" or "__proto__" is no rule.
  const extra = Object.hasOwn(doc.categories, category) ? doc.categories[category] : [];
  for (const desk of extra) desks.add(desk);
  return desks;
}
