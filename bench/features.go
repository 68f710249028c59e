package bench

// The bot's feature packages, wired as app wires them (app/features.go).
import (
	_ "reentrybot/bot/announcements" // the composer, delivery, /stop
	_ "reentrybot/bot/casework"      // /queue, /mine, ratings, invites
	_ "reentrybot/bot/ops"           // /report, /audit, retention
	_ "reentrybot/bot/reminders"     // reminders and follow-ups
)
