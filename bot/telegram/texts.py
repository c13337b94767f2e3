"""What the bot says that more than one handler (or a test) needs, and the command menus."""

USER_COMMANDS = [
    ("start", "开始使用"),
    ("help", "使用说明和示例问题"),
    ("sections", "报告目录"),
    ("ask", "提问（在群里用）：/ask 问题"),
    ("forget", "删除我的提问记录"),
]
ADMIN_COMMANDS = [
    ("reload", "重新加载知识库"),
    ("stats", "提问统计"),
    ("unanswered", "未答出和差评的问题"),
    ("addfaq", "添加常见问题：问题 | 答案 | 章节"),
    ("reports", "报告列表"),
    ("remove", "移除报告：/remove 编号"),
    ("restore", "恢复移除的报告：/restore 编号"),
    ("cancel", "取消正在进行的操作"),
]

REFUSAL = "抱歉，这个命令只有管理员可以使用。"
APOLOGY = "抱歉，处理您的消息时出了点问题，请稍后再试。"
ONLY_ASKER = "只有提问的人可以评价这条回答。"
STALE_BUTTON = "这个按钮已过期，请重新发送问题或 /sections。"
STALE_OUTLINE = "目录已更新，请重新发送 /sections。"
FAQ_PROMPT = "为这个问题写 FAQ："  # how the ➕ prompt begins: a reply to it outside the dialogue is recognised
FAQ_EXPIRED = "这个 FAQ 对话已结束（超时、取消或机器人重启过）。请在 /unanswered 里重新点 ➕。"

BUTTON_CHARS = 32


def short(text: str, limit: int = BUTTON_CHARS) -> str:
    """One line of at most `limit` characters, for a button or a list entry."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
