"""What the outbox tells the admins and principals when pushes cannot go out (in Chinese, kept in one place)."""

CONFIG_TEXT = {
    "310000": "{cls}的钉钉群机器人推送被安全设置拒绝(310000 {detail}): 机器人仍在群里,请在群机器人设置中核对"
    "加签密钥、自定义关键词或IP地址段,与花名册中该班的推送地址和密钥一致后重新导入。",
    "60020": "企业微信拒绝了应用消息(60020 {detail}): 本机的公网IP不在企业可信IP中。请在企业微信管理后台"
    "「应用管理 → 托管助手应用 → 企业可信IP」添加本机公网IP;或改用智能机器人长连接(无需公网IP)。",
}
ROBOT_CONFIG = "{cls}的群机器人配置有误({code} {detail}),请核对推送地址和密钥。"
APP_CONFIG = "应用消息配置有误({code} {detail}),请核对应用设置。"
QUOTA_TEXT = (
    "{platform}组织本月的接口调用次数已用完({code}),推送已暂停,每小时自动重试。"
    "请在开发者后台查看用量或升级套餐。"
)
BROKEN_TEXT = (
    "{cls}的群机器人推送失败({code}): 机器人可能被移出群或地址失效。请在花名册更新该班的推送地址后重新导入。"
)
UNSURE_NOTE = "发送中断,平台无去重,未重发"
