"""Reading reports: a file's format → text blocks (`formats`); the parser (`bot.parser`) makes the
section tree and statements of that text."""
