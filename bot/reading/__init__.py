"""Reading reports: a file's format → text (`formats`), what stands around the text (`frontmatter`),
the numbering of official documents (`numbering`) and where statements end (`sentences`); the
parser (`bot.parser`) builds the section tree and statements from them."""
