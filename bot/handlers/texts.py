"""User-facing Chinese texts shared by several handlers."""

UNKNOWN_SENDER = (
    "您好,我还不认识您。请发送「绑定 孩子姓名 您的手机号」(例如: 绑定 张小华 139xxxx5678),"
    "班主任确认后即可使用。"
)
NOT_UNDERSTOOD = "没看懂「{text}」。"
CLOSEST = "您是想: {usage} 吗?例如: {example}"
SEE_HELP = "发送「帮助」查看全部命令。"
NOT_ALLOWED = "「{name}」只有{who}可以使用。"
INTERNAL_ERROR = "抱歉,处理这条消息时出了问题,已记录,请稍后再试。"
EMPTY = "请在 @托管助手 后输入命令,例如: 帮助"
