package app

// The bot's features in packages of their own register their commands,
// buttons and jobs with package bot from their init; importing them here
// is what wires them into the program (ARCHITECTURE.md, "The rooms").
import (
	_ "reentrybot/bot/announcements" // the composer, delivery, /stop
	_ "reentrybot/bot/casework"      // /queue, /mine, ratings, invites
	_ "reentrybot/bot/ops"           // /report, /audit, retention
	_ "reentrybot/bot/reminders"     // reminders and follow-ups
)
