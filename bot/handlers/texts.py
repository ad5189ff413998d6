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
PRIVATE_IN_GROUP = "已收到,详细信息不便在群里显示,请查看与托管助手的私聊。"
EMPTY = "请在 @托管助手 后输入命令,例如: 帮助"
UNKNOWN_GROUP = (
    "本群还没有登记到花名册,不能在这里使用「{name}」。请在花名册「班级」表本班一行填写"
    "平台 {platform}、群ID {chat_id},再运行 tuoguan roster import 导入;也可以私聊托管助手发送命令。"
)
