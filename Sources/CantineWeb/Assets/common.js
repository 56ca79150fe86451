'use strict';
// Helpers shared by the pages' scripts (loaded first, before each page's own script). Text is
// only ever set with textContent: names and titles typed by people are never HTML.

/** The element with this id. */
const $ = (id) => document.getElementById(id);

/** A new element with an optional class and text. */
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** Empties a node and returns it. */
function clear(node) {
  node.replaceChildren();
  return node;
}

/**
 * The pages' words in the site's languages (`site.locale`): one table for the entrance screen
 * and the dashboard. A value is a string or a function of the values it shows.
 */
const STRINGS = {
  fr: {
    // The entrance screen.
    today: "Aujourd'hui", desks: 'Postes libres', rooms: 'Salles', now: 'en cours', next: 'ensuite',
    starting: 'vient de commencer : entrez !', pause: 'Pause', freeUntil: "libre jusqu'à",
    busyUntil: "occupée jusqu'à", freeDay: 'libre', busy: 'occupée', present: 'présents',
    welcome: (n) => 'Bienvenue, ' + n + ' !', offline: 'reconnexion…',
    empty: "Pas de session aujourd'hui : le bar est ouvert.",
    sensorsSilent: 'capteurs muets : libres ?', someUnknown: (n) => n + ' sans nouvelles du capteur',
    closedUntil: (day, time) => 'Fermé · ouvre ' + (day ? day + ' ' : '') + 'à ' + time, tomorrow: 'demain',
    programOf: (day) => 'Programme du ' + day, nothingPlanned: "Pas de session prévue d'ici là.",
    programOnPhone: 'Le programme sur votre téléphone',
    // The dashboard.
    signOut: 'Se déconnecter', live: 'en direct', reconnecting: 'reconnexion…', people: (n, cap, badged) =>
      n + ' / ' + cap + ' présents (' + badged + ' badgés)',
    floor: 'Plan', doors: 'Portes', findings: 'À regarder', whoIsIn: 'Qui est là', network: 'Réseau',
    accessLog: "Journal d'accès", bookings: 'Réservations', program: 'Programme du jour',
    members: 'Membres et badges', roomsTitle: 'Salles',
    free: 'libre', booked: 'réservé', occupied: 'occupé', occupied_unbooked: 'occupé sans réservation',
    unknown: 'inconnu', sensor: 'capteur', vacant: 'vide',
    member: 'Membre', door: 'Porte', decision: 'Décision', from: 'Du', to: 'Au', search: 'Chercher',
    reason: 'Raison', desk: 'Poste', date: 'Date', period: 'Période', title: 'Titre', room: 'Salle',
    start: 'Début', end: 'Fin', kind: 'Type', name: 'Nom', email: 'E-mail', card: 'Badge', plan: 'Abonnement',
    days: 'Jours', all: 'toutes', allDoors: 'toutes les portes', granted: 'accordé', denied: 'refusé',
    book: 'Réserver', add: 'Ajouter', grant: 'Accorder', enroll: 'Enregistrer', unlockAsk: 'Ouvrir…',
    unlock: 'Ouvrir', cancel: 'Annuler', move: 'Déplacer…', remove: 'Retirer', older: 'Plus anciens…',
    export: 'exporter', erase: 'effacer', history: 'historique',
    nothing: 'Rien à regarder.', findingsHint: "Ce qui demande quelqu'un maintenant ; ce qui a pris fin quitte la liste",
    confirmUnlock: "Je confirme : ouvrir cette porte maintenant", unlockFor: 'Ouvrir pour une impulsion :',
    bookDesk: 'Réserver un poste', addSession: 'Ajouter une session', newMember: 'Nouveau membre',
    enrollCard: 'Enregistrer le dernier badge refusé', grantPlan: 'Accorder ou renouveler un abonnement',
    dateTime: 'date et heure', since: 'depuis', planOrBooking: 'abonnement ou réservation', site: 'lieu',
    heard: 'entendu', visitors: 'visiteurs', in: 'là', wholeSite: 'tout le lieu', noPlan: 'sans abonnement',
    inside: 'sur place', badges: 'badges', searchMembers: 'Chercher', searchHint: 'nom ou id (accents ignorés)',
    noMatch: (q) => 'Aucun membre ne correspond à « ' + q + ' ».', noMembers: 'Pas encore de membres.',
    busyUntilTime: (t) => 'occupée jusqu’à ' + t, freeUntilTime: (t) => 'libre jusqu’à ' + t,
    sinceTime: (t) => 'depuis ' + t, findingsDone: (n, a) => n + ' constats : ' + a,
    'no-show': 'absent', 'walk-in': 'sans réservation', ghost: 'fantôme', overstay: 'dépassement',
    capacity: 'capacité', confirm: 'confirmer', release: 'libérer', attach: 'rattacher', dismiss: 'écarter',
    allOf: (a) => a + ' (tous)', attachWho: 'Membre à qui rattacher ce poste :', locked: 'verrouillée',
    unlocked: 'déverrouillée', open: 'ouverte', forced: 'forcée', held_open: 'maintenue ouverte', alarm: 'alarme',
    talk: 'exposé', workshop: 'atelier', barcamp: 'barcamp', meetup: 'rencontre', break: 'pause',
    am: 'matin', pm: 'après-midi', day: 'journée', 'half-day-am': 'matin', 'half-day-pm': 'après-midi',
    'multi-day': 'plusieurs jours', resident: 'résident (un mois)', staff: 'équipe',
    checkedIn: 'arrivé', cancelled: 'annulée', released: 'libérée', 'checked-in': 'arrivé',
    active: 'actif', disabled: 'désactivé', markLeft: 'parti',
    // Findings' details (the core writes them in English; the code stays in the API).
    'member not inside': 'membre absent des lieux', 'nobody inside': 'personne dans les lieux',
    'no booking': 'sans réservation', stale: 'capteur muet', flapping: 'capteur instable',
    contradicting: 'rapports contradictoires', siteStale: 'sans nouvelles', refused: 'refusé', notCheckedInBy: (t) => 'pas arrivé à ' + t,
    minutesPast: (n) => 'occupée ' + n + ' min après la fin', overCapacity: (n, c) => n + ' présents, capacité ' + c, markLeftHint: 'Parti sans badger à la sortie : ne plus le compter présent',
    // Utilisation.
    utilisation: 'Fréquentation', last7: '7 jours', last30: '30 jours', last90: '90 jours',
    deskHoursByDay: 'Heures-poste par jour : occupées sur réservées', desksByWeekday: 'Postes par jour de semaine (heures occupées en moyenne)',
    usageFigures: 'Les jours en chiffres (en italique : partiel)', peak: 'Pic', used: 'Occupé (h)', booked_h: 'Réservé (h)', noShows: 'Absents',
    walkIns: 'Sans résa.', peakPeople: 'pic de présents', deskHoursUsed: 'heures-poste occupées',
    ofBooked: (p) => p + ' des heures réservées', noShowRate: "taux d'absence", walkInsTotal: 'postes pris sans réservation',
    todayVs: (wd) => "Aujourd'hui, postes occupés, et un " + wd + ' habituel', typicalOf: (n) => n + ' semaine' + (n > 1 ? 's' : '') + ' passée' + (n > 1 ? 's' : ''),
    noTypical: "pas encore d'historique pour ce jour", noDays: 'Pas encore de jours dans cette période.',
    todayLine: "aujourd'hui", typicalLine: 'habituel', weekdays: ['lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.', 'dim.'],
    weekdayNames: ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'],
    dayTip: (d, used, booked, peak, noShows, walkIns) => d + ' : ' + used + ' h occupées / ' + booked + ' h réservées, pic ' + peak + ', ' + noShows + ' absent(s), ' + walkIns + ' sans réservation',
    partialDay: ' (partiel)', hoursShort: 'h',
    endPlan: "mettre fin à l'abonnement", endPlanSure: (p) => 'confirmer : fin de « ' + p + ' » maintenant',
  },
  en: {
    today: 'Today', desks: 'Free desks', rooms: 'Rooms', now: 'now', next: 'next',
    starting: 'just started: come in!', pause: 'Break', freeUntil: 'free until', busyUntil: 'busy until',
    freeDay: 'free', busy: 'busy', present: 'present', welcome: (n) => 'Welcome, ' + n + '!',
    offline: 'reconnecting…', empty: 'No sessions today: the bar is open.',
    sensorsSilent: 'sensors silent: free?', someUnknown: (n) => n + ' not heard from',
    closedUntil: (day, time) => 'Closed · opens ' + (day ? day + ' ' : '') + 'at ' + time, tomorrow: 'tomorrow',
    programOf: (day) => 'The program of ' + day, nothingPlanned: 'No session planned until then.',
    programOnPhone: 'The program on your phone',
    signOut: 'Sign out', live: 'live', reconnecting: 'reconnecting…', people: (n, cap, badged) =>
      n + ' / ' + cap + ' present (' + badged + ' badged in)',
    floor: 'Floor', doors: 'Doors', findings: 'Findings', whoIsIn: 'Who is in', network: 'Network',
    accessLog: 'Access log', bookings: 'Bookings', program: "Today's program", members: 'Members and badges',
    roomsTitle: 'Rooms', free: 'free', booked: 'booked', occupied: 'occupied',
    occupied_unbooked: 'occupied, not booked', unknown: 'unknown', sensor: 'sensor', vacant: 'vacant',
    member: 'Member', door: 'Door', decision: 'Decision', from: 'From', to: 'To', search: 'Search',
    reason: 'Reason', desk: 'Desk', date: 'Date', period: 'Period', title: 'Title', room: 'Room',
    start: 'Start', end: 'End', kind: 'Kind', name: 'Name', email: 'Email', card: 'Card', plan: 'Plan',
    days: 'Days', all: 'all', allDoors: 'all doors', granted: 'granted', denied: 'denied',
    book: 'Book', add: 'Add', grant: 'Grant', enroll: 'Enroll', unlockAsk: 'Unlock…', unlock: 'Unlock',
    cancel: 'Cancel', move: 'Move…', remove: 'Remove', older: 'Older…', export: 'export', erase: 'erase',
    history: 'history', nothing: 'Nothing to look at.',
    findingsHint: 'What needs someone now; ended ones leave the list', confirmUnlock: 'I confirm: open this door now',
    unlockFor: 'Unlock for one pulse:', bookDesk: 'Book a desk', addSession: 'Add a session',
    newMember: 'New member', enrollCard: 'Enroll the last refused card', grantPlan: 'Grant or renew a plan',
    dateTime: 'date and time', since: 'since', planOrBooking: 'plan or booking', site: 'site', heard: 'heard',
    visitors: 'visitors', in: 'in', wholeSite: 'whole site', noPlan: 'no plan', inside: 'inside', badges: 'badges',
    searchMembers: 'Search', searchHint: 'name or id (accents and case ignored)',
    noMatch: (q) => 'No member matches “' + q + '”.', noMembers: 'No members yet.',
    busyUntilTime: (t) => 'busy until ' + t, freeUntilTime: (t) => 'free until ' + t,
    sinceTime: (t) => 'since ' + t, findingsDone: (n, a) => n + ' findings: ' + a,
    'no-show': 'no-show', 'walk-in': 'walk-in', ghost: 'ghost', overstay: 'overstay', capacity: 'capacity',
    confirm: 'confirm', release: 'release', attach: 'attach', dismiss: 'dismiss', allOf: (a) => a + ' all',
    attachWho: 'Member this desk belongs to:', locked: 'locked', unlocked: 'unlocked', open: 'open',
    forced: 'forced', held_open: 'held open', alarm: 'alarm',
    talk: 'talk', workshop: 'workshop', barcamp: 'barcamp', meetup: 'meetup', break: 'break',
    am: 'morning', pm: 'afternoon', day: 'day', 'half-day-am': 'morning', 'half-day-pm': 'afternoon',
    'multi-day': 'several days', resident: 'resident (a month)', staff: 'staff',
    checkedIn: 'checked in', cancelled: 'cancelled', released: 'released', 'checked-in': 'checked in',
    active: 'active', disabled: 'disabled', markLeft: 'left',
    siteStale: 'stale', refused: 'refused', notCheckedInBy: (t) => 'not checked in by ' + t, minutesPast: (n) => 'occupied ' + n + ' min past the end',
    overCapacity: (n, c) => n + ' present, capacity ' + c, markLeftHint: 'Left without badging out: stop counting them as present',
    utilisation: 'Utilisation', last7: '7 days', last30: '30 days', last90: '90 days',
    deskHoursByDay: 'Desk-hours per day: used against booked', desksByWeekday: 'Desks by weekday (mean hours occupied)',
    usageFigures: 'The days in figures (in italics: partial)', peak: 'Peak', used: 'Used (h)', booked_h: 'Booked (h)', noShows: 'No-shows',
    walkIns: 'Walk-ins', peakPeople: 'peak people', deskHoursUsed: 'desk-hours used',
    ofBooked: (p) => p + ' of booked hours', noShowRate: 'no-show rate', walkInsTotal: 'desks taken unbooked',
    todayVs: (wd) => 'Today, desks occupied, against a typical ' + wd, typicalOf: (n) => n + ' past week' + (n > 1 ? 's' : ''),
    noTypical: 'no history for this weekday yet', noDays: 'No days in this period yet.',
    todayLine: 'today', typicalLine: 'typical', weekdays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    weekdayNames: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
    dayTip: (d, used, booked, peak, noShows, walkIns) => d + ': ' + used + ' h used / ' + booked + ' h booked, peak ' + peak + ', ' + noShows + ' no-show(s), ' + walkIns + ' walk-in(s)',
    partialDay: ' (partial)', hoursShort: 'h',
    endPlan: 'end plan', endPlanSure: (p) => 'confirm: end “' + p + '” now',
  },
};

/** The words of `locale` (French unless English). */
function strings(locale) { return STRINGS[locale === 'en' ? 'en' : 'fr']; }
