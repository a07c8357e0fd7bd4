"""Every sentence wanbot says, in Simplified Chinese (``zh-CN``): the same keys as ``core.messages.EN``.

Placeholders (``{job_id}``), Discord/Slack markup, emoji, command names (``/wan video``) and flags
(``--seed``) are kept exactly as in English; ``tests/core/test_catalogue_zh.py`` checks that every English
key is here (and nothing else) and that each text has the same placeholders. Sentences that are *reasons*
(read inside ``invalid``: "这个请求无法执行：<reason>。") end without a full stop. Terms: job 任务, prompt
提示词, negative prompt 反向提示词, seed 种子, ratio 宽高比, re-roll 重新生成, remix 改写, animate 图生视频,
variant 变体, thread 讨论串, Wan 万相.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    # status titles and lines, by job state
    "state.QUEUED": "排队中",
    "state.SUBMITTING": "排队中",
    "state.PENDING": "等待 DashScope",
    "state.RUNNING": "生成中",
    "state.SUCCEEDED": "上传中",
    "state.DELIVERED": "完成",
    "state.FAILED": "失败",
    "state.CANCELED": "已取消",
    "state.EXPIRED": "已过期",
    "line.queued": "排在第 {position} 位",
    "line.queued_next": "下一个就是你",
    "line.elapsed": "{elapsed}",
    # ``{ago}`` stays as it is: the adapter puts the platform's ticking relative time there
    "line.clock": "{{ago}}提交",
    "line.typical": "通常需要 {duration}",
    "title": "🎬 {state}",
    "field.model": "模型",
    "field.format": "规格",
    "field.seed": "种子",
    "field.cost": "费用",
    "field.estimate": "预估费用",
    "field.job": "任务",
    "field.negative": "避免",
    "field.wan_prompt": "万相实际使用的提示词",
    "format": "{resolution} · {ratio} · {duration} 秒",
    # delivery
    "delivered.caption": "🎬 {prompt_short} — {resolution} {ratio}，{duration} 秒 · 任务 {job_id}",
    "delivered.reencoded": "为符合本频道 {limit} 的上传上限，已从 {original} 重新编码为 {final}。",
    "delivered.link": "文件太大，重新编码后仍超出本频道上限（{size} > {limit}）。请在 {expires} 前下载：{url}",
    "expired.detail": "视频链接已于 {expires} 过期，未能送达。除已完成的任务外不会额外计费；"
    "请重新发起以生成新视频。",
    "failed.timeout": "DashScope 在 {limit} 内没有完成，已放弃该任务。",
    "failed.unknown_task": "DashScope 已查不到这个任务（超过 24 小时或从未创建）。",
    "failed.generic": "出错了：{message}",
    # commands and refusals
    "queued.ack": "任务 {job_id} 已加入队列。",
    "cancel.done": "已取消任务 {job_id}，没有产生费用。",
    "cancel.too_late": "任务 {job_id} 已在生成中，DashScope 现在无法停止它。",
    "cancel.finished": "任务 {job_id} 已经结束。",
    "job.not_found": "找不到任务 {job_id}。",
    "job.none_active": "你没有进行中的任务。",
    "cap.user": "你已有 {count} 个进行中的任务（上限 {cap} 个）。请等其中一个完成，或取消一个。",
    "budget.exceeded": "这会超出{whose}{period}预算 {limit}：已用 {spent}，本次需要 {needed}。预算{reset}重置。",
    "budget.whose.user": "你的",
    "budget.whose.workspace": "本工作区的",
    "budget.period.day": "每日",
    "budget.period.month": "每月",
    "budget.reset.day": "于午夜（{tz}）",
    "budget.reset.month": "于每月 1 日（{tz}）",
    "cap.cooldown": "别着急：{seconds} 秒后可以再试。",
    "invalid": "这个请求无法执行：{reason}。",
    "access.denied": "你在这里无法使用 wanbot。如果你认为应该可以，请联系管理员。",
    "action.not_yours": "只有发起这个视频的人（或管理员）才能这样做。",
    "action.deleted": "已删除。",
    "action.rerolled": "正在用新种子重新生成任务 {job_id}，新任务为 {new_job_id}。",
    "action.upscaled": "正在以 1080P（相同种子）重新生成任务 {job_id}，新任务为 {new_job_id}。",
    "action.remixed": "正在改写任务 {job_id}，新任务为 {new_job_id}。",
    "error.internal": "wanbot 这边出了点问题，已记录日志。请再试一次。",
    "image.done": "🖼️ {prompt_short} — {size}，{n} 张图片 · ¥{cost}",
    "usage.row": "{label}：{videos} 个视频，{images} 张图片，计费 {seconds:g} 秒，¥{cost}",
    "usage.label": "{who}，{period}",
    "usage.title": "用量",
    "usage.you": "你",
    "usage.everyone": "这里的所有人",
    "usage.today": "今天",
    "usage.month": "本月",
    "sandbox.notice": "未设置 DASHSCOPE_API_KEY：正在使用内置沙盒（免费，生成占位视频）。",
    # Slack adapter (button labels, the remix modal, channel membership)
    "slack.button.cancel": "取消",
    "slack.button.reroll": "重新生成",
    "slack.button.remix": "改写",
    "slack.button.upscale": "1080P",
    "slack.button.delete": "删除",
    "slack.delete.confirm_title": "删除这个视频？",
    "slack.delete.confirm_text": "状态消息和视频将对所有人删除。",
    "slack.delete.confirm": "删除",
    "slack.delete.deny": "保留",
    "slack.download": "下载视频",
    "slack.remix.title": "改写任务 {job_id}",
    "slack.remix.title_wan": "万相的提示词，{job_id}",
    "slack.button.remixwan": "改写万相的提示词",
    "slack.button.animate": "图生视频",
    "slack.remix.prompt": "新提示词",
    "slack.remix.submit": "改写",
    "slack.remix.close": "关闭",
    "slack.not_in_channel": "我无法在这个对话中发消息：它是私有频道，或是我不在其中的私信。"
    "请用 `/invite @wanbot` 邀请我，或在公开频道中使用 /wan。",
    "slack.unreachable": "Slack 刚才没有响应 wanbot，请稍后再试。",
    # Discord adapter (buttons, modals, command descriptions ≤ 100 characters, help)
    "discord.button.cancel": "取消",
    "discord.button.reroll": "重新生成",
    "discord.button.remix": "改写",
    "discord.button.upscale": "1080P",
    "discord.button.delete": "删除",
    "discord.remix.title": "改写这个视频",
    "discord.remix.title_wan": "从万相使用的提示词改写",
    "discord.button.remixwan": "改写万相的提示词",
    "discord.button.animate": "图生视频",
    "discord.remix.prompt": "提示词",
    "discord.storyboard.title": "分镜（{duration} 秒）",
    "discord.storyboard.shot": "镜头 {n}",
    "discord.storyboard.placeholder": "远景：黄昏的灯塔，海浪在下方拍打",
    "discord.cmd.wan": "万相 Wan 2.7 视频和图片",
    "discord.cmd.video": "根据文字提示词生成视频",
    "discord.cmd.storyboard": "生成多镜头视频：一个片段最多五个镜头",
    "discord.cmd.status": "查看任务状态（默认：你最近的任务）",
    "discord.cmd.cancel": "取消尚未开始生成的任务（默认：你最近的任务）",
    "discord.cmd.usage": "今天和本月的秒数与费用，你的和本服务器的",
    "discord.cmd.help": "wanbot 使用说明",
    "discord.cmd.prompt": "要呈现的内容",
    "discord.cmd.model": "选择模型（默认 wan2.7-t2v）",
    "discord.cmd.image_model": "选择图片模型（默认 wan2.7-image）",
    "discord.cmd.resolution": "720P（默认，更便宜）或 1080P",
    "discord.cmd.ratio": "宽高比（默认 16:9）",
    "discord.cmd.duration": "时长，单位秒（默认 5）",
    "discord.cmd.negative": "要避免的内容",
    "discord.cmd.seed": "种子，用于复现结果",
    "discord.cmd.prompt_extend": "让模型扩写提示词（默认开启）",
    "discord.cmd.watermark": "添加“AI 生成”水印",
    "discord.cmd.audio": "WAV 或 MP3 配乐",
    "discord.cmd.audio_url": "或 WAV / MP3 配乐的链接",
    "discord.cmd.size": "图片尺寸",
    "discord.cmd.n": "图片数量（每张单独计费）",
    "discord.cmd.job": "任务 ID（见状态消息）",
    # /wan defaults: per-channel request defaults (all adapters; the Discord command's descriptions too)
    "defaults.none": "本频道没有默认设置：视频使用各模型自己的默认值。",
    "defaults.show": "本频道视频的默认设置：{summary}。用 /wan video 输入的选项优先。",
    "defaults.saved": "已保存。本频道视频现在默认：{summary}。",
    "defaults.cleared": "已清除。本频道视频重新使用各模型自己的默认值。",
    "defaults.denied.discord": "只有能管理本频道或本服务器的成员才能修改默认设置。",
    "defaults.denied.slack": "只有工作区管理员和所有者才能修改本频道的默认设置。",
    "defaults.item.model": "模型 {value}",
    "defaults.item.resolution": "{value}",
    "defaults.item.ratio": "{value}",
    "defaults.item.duration": "{value} 秒",
    "defaults.item.prompt_extend.True": "提示词扩写开",
    "defaults.item.prompt_extend.False": "提示词扩写关",
    "defaults.item.watermark.True": "带水印",
    "defaults.item.watermark.False": "无水印",
    "defaults.item.negative_prompt": "避免“{value}”",
    "defaults.cmd": "查看或设置本频道 /wan video 的默认值（管理员）",
    "defaults.cmd.clear": "清除本频道的全部默认设置",
    "defaults.cmd.model": "默认模型",
    "defaults.cmd.resolution": "默认分辨率",
    "defaults.cmd.ratio": "默认宽高比",
    "defaults.cmd.duration": "默认时长（秒）",
    "defaults.cmd.negative": "默认要避免的内容",
    "defaults.cmd.prompt_extend": "默认让模型扩写提示词",
    "defaults.cmd.watermark": "默认添加“AI 生成”水印",
    # DashScope errors, by code
    "error.InvalidParameter": "DashScope 拒绝了这个请求的某个参数。",
    "error.DataInspectionFailed": "内容审核拦截了提示词或生成结果。请换个说法再试；没有产生费用。",
    "error.IPInfringementSuspect": "DashScope 怀疑提示词涉及受保护的角色或品牌。请换个说法再试。",
    "error.Arrearage": "DashScope 账户余额不足，请联系管理员充值。",
    "error.UnsupportedOperation": "DashScope 已无法对这个任务执行该操作。",
    "error.InvalidApiKey": "机器人的 DashScope 密钥无效（或属于其他地域），请联系管理员。",
    "error.AccessDenied": "机器人的 DashScope 账户无权使用这个模型，请联系管理员。",
    "error.AccessDenied.Unpurchased": "机器人的 DashScope 账户未开通这个模型，请联系管理员。",
    "error.Model.AccessDenied": "机器人的 DashScope 密钥不能使用这个模型，请联系管理员。",
    "error.Workspace.AccessDenied": "机器人的 DashScope 业务空间不能使用这个模型，请联系管理员。",
    "error.SignatureDoesNotMatch": "存储服务拒绝了视频链接，请管理员查看日志。",
    "error.ModelNotFound": "DashScope 不认识这个模型。",
    "error.Throttling": "DashScope 现在很忙，wanbot 会继续重试。",
    "error.Throttling.RateQuota": "触发了 DashScope 的速率限制，wanbot 会继续重试。",
    "error.Throttling.BurstRate": "同时发出的请求太多，wanbot 会继续重试。",
    "error.Throttling.AllocationQuota": "这个模型的 DashScope 配额暂时用完了，请稍后再试。",
    "error.InternalError": "DashScope 内部出错，请一分钟后再试。",
    "error.InternalError.Timeout": "DashScope 未能按时完成视频，请再试一次。",
    "error.InternalError.Upload": "DashScope 未能保存生成的视频，请再试一次。",
    "error.SystemError": "DashScope 系统出错，请一分钟后再试。",
    "error.ModelUnavailable": "模型现在负载过高，请几分钟后再试。",
    "error.ModelServingError": "模型现在负载过高，请几分钟后再试。",
    "error.TransportError": "wanbot 连不上 DashScope，会继续重试。",
    "error.CreateUnconfirmed": "wanbot 无法确认 DashScope 是否已开始这个任务，所以没有重试（那样可能重复计费）。"
    "请一分钟后用 `/wan status` 查看。",
    "error.Unknown": "DashScope 返回了意外的错误。",
    # input (issue 9): text wanbot refuses to send (core.text), and options given twice (core.commands)
    "input.what.prompt": "提示词",
    "input.what.negative_prompt": "反向提示词",
    "input.what.audio_url": "音频链接",
    "input.what.option": "选项名",
    "input.what.command": "命令",
    "input.control": "{what}包含控制字符（{code}），wanbot 不会发送；请删掉后再试",
    "input.surrogate": "{what}包含损坏的字符（{code}，UTF-16 代理对的一半）；请重新粘贴文本",
    "input.prompt_invisible": "提示词没有可见文字，只有空格、不可见字符或格式字符：请描述你想要的{kind}",
    "input.negative_invisible": "反向提示词没有可见文字，只有不可见字符或格式字符：请写出要避免的内容，或者不填",
    "input.option_twice": "{flag} 给了两次；只需给一次",
    "input.option_alias_twice": "{flag} 和 {other} 是同一个选项，给了两次；只需给一次",
    "input.audio_url_spaces": "音频链接包含空格或不可见字符；请单独重新粘贴链接",
    # audio (issue 12): the file behind an audio link, checked before anything is spent (core.media_check)
    "audio.unreachable": "wanbot 无法下载音频链接；请确认不登录也能打开",
    "audio.http_status": "音频链接返回了 HTTP {status} 而不是文件；请确认不登录也能打开（聊天附件的链接可能已过期）",
    "audio.private": "音频链接指向私有网络，DashScope 无法获取；请使用公开链接",
    "audio.redirects": "音频链接重定向超过 {hops} 次；请使用文件的直接链接",
    "audio.too_big": "音频文件超过 {limit}；DashScope 接受不超过 {limit} 的 WAV 或 MP3 文件",
    "audio.not_audio": "音频链接不是 WAV 或 MP3 文件；DashScope 只接受这两种",
    "audio.duration": "音频时长 {seconds} 秒；DashScope 接受 {low}–{high} 秒的 WAV 或 MP3",
    "audio.timeout": "音频链接下载和检查超过了 {seconds} 秒；请换个更小的文件或其他托管",
    "input.option_contradiction": "{flag} 和 {other} 互相矛盾；请只给其中一个",
    # bot (issue 9): the embedded sandbox said out loud
    "status.sandbox": "沙盒 — 占位视频，不计费",
    "status.sandbox.image": "沙盒 — 占位图片，不计费",
    "run.sandbox_refused": "未设置 DASHSCOPE_API_KEY，Discord 和 Slack 用户只会收到沙盒占位视频：要生成真实视频请设置 "
    "DASHSCOPE_API_KEY；若有意提供沙盒，请用 `wanbot run --sandbox` 启动（或设置 WANBOT_SANDBOX=1）。",
    # -- create safety (issue 9, core-a): one request, one task --
    "error.CreateAmbiguous": "DashScope 可能已开始这个任务，但 wanbot 无法判断哪个任务是你的，所以停了下来而不是去猜"
    "（这类任务已尽可能取消）。这次请求不计入你的用量。请再试一次。",
    "error.ForeignTask": "DashScope 为这个请求完成的结果是用另一个请求的提示词生成的，所以 wanbot 没有发送它。"
    "你不会为别人的结果付费。请再试一次。",
    # -- engine races (issue 9, core-b) --
    "error.TaskClaimed": "wanbot 无法判断哪个 DashScope 任务属于这个任务，所以停了下来，以免把别人的结果发给你。"
    "请再试一次。",
    # -- images as engine jobs (issue 10, images) --
    "image.title": "🖼️ {state}",
    "image.field.size": "尺寸",
    "image.field.count": "图片数",
    "delivered.image_caption": "🖼️ {prompt_short} — {size}，{count} 张图片 · 任务 {job_id}",
    "delivered.image_links": "超出本频道 {limit} 的上传上限；请在 {expires} 前下载：\n{links}",
    "image.expired.detail": "图片链接已于 {expires} 过期，未能送达。请重新发起以生成新图片。",
    "image.none_returned": "DashScope 完成了任务但没有返回图片；这部分不计费。请再试一次。",
}

ZH.update({
    # -- the use-case layer (issue 10): one wording for every surface --
    "delete.partial": "能删的已经删了，但平台不允许我删除{what}；请稍后再试，或请管理员删除。",
    "delete.the_result": "已送达的文件",
    "delete.the_status": "状态消息",
    "delete.failed": "平台不允许我删除状态消息或已送达的文件；请稍后再试，或请管理员删除。",
    "cancel.none_here": "你在本频道没有进行中的任务；请到发起任务的频道取消，或在那里使用 /wan cancel <job id>。",
    "defaults.denied": "只有本频道的管理员才能修改默认设置。",
    "upscale.unsupported": "{model} 没有 1080P 版本，无法生成更清晰的结果",
    "error.dashscope_said": "DashScope 拒绝了这个请求：{message}",
    "storyboard.empty": "请至少描述一个镜头",
    "storyboard.too_many": "分镜最多 {most} 个镜头，而不是 {shots} 个",
    "storyboard.too_short": "{shots} 个镜头至少需要 {shots} 秒，而视频只有 {duration} 秒",
})

ZH.update({
    # -- slack storyboard modal (issue 10) --
    "slack.storyboard.title": "分镜（{duration} 秒）",
    "slack.storyboard.shot": "镜头 {n}",
    "slack.storyboard.placeholder": "远景：黄昏的灯塔，海浪在下方拍打",
    "slack.storyboard.submit": "生成",
    "slack.storyboard.stale": "这个分镜表单不属于你或已失效；请用 /wan storyboard 重新开始。",
})

ZH.update({
    # -- discord on core.actions (issue 10) --
    "discord.cmd.shot_type": "single：一个连续镜头；multi：模型可在镜头间切换",
    "discord.cmd.thinking_mode": "让模型先构思再绘制（默认开启；较慢）",
})

ZH.update({
    "slack.working": "正在处理……状态消息稍后会出现在频道中。",
    "line.queued_range": "排在第 {low}–{high} 位",
})

ZH.update({
    "failed.task_not_found": "DashScope 在 {limit} 内一直回复这个任务不存在，wanbot 已停止等待"
    "（如果机器人通过网关访问，请管理员检查 WANBOT_DASHSCOPE_GATEWAY）。",
})

ZH.update({
    # -- image editing and animate (issue 12, i12-core) --
    "media.gone": "那个文件已不再保存；请重新附加",
    "media.bad_ref": "那个文件引用不是 wanbot 生成的；请直接附加文件",
    "media.needs_host": "来自聊天附件的音频需要公开地址：运营者必须设置 WANBOT_PUBLIC_URL，或者请使用音频的公开链接",
    "media.slack_private_audio": "Slack 文件是私有的：运营者必须设置 WANBOT_PUBLIC_URL 才能使用来自 Slack 的音频",
    "media.not_link": "{what}必须是 http(s) 链接或 wanbot 保存的文件",
    "media.link_spaces": "{what}包含空格或不可见字符；请单独重新粘贴链接",
    "media.what.image": "输入图片",
    "media.what.frame": "帧图片",
    "media.what.audio": "音频",
    "media.no_stash": "这个 wanbot 启动时没有配置文件存放位置，无法接收附件；请联系运营者",
    "action.animated": "正在把任务 {job_id} 的图片生成视频，新任务为 {new_job_id}。",
    "animate.from_job_gone": "那张图片已不再保存；请附加它",
    "animate.not_image_job": "任务 {job_id} 不是图片结果；图生视频需要从图片开始",
    "animate.ratio": "图生视频没有宽高比：画面形状跟随首帧",
    "animate.no_first_frame": "图生视频需要首帧：请附加一张图片，或对一个图片结果使用图生视频",
    "animate.two_sources": "请给出首帧或一个图片结果，不要两者都给",
    "animate.last_without_first": "有尾帧就必须有首帧",
    "animate.media_twice": "{type} 给了两次；只需给一次",
    "animate.needs_media": "{model} 是图生视频模型：请用 /wan animate 并提供首帧",
    "animate.no_media": "{model} 只用文字生成视频；要从图片开始请用 /wan animate",
    "animate.prompt_empty": "提示词是空的：请描述你想要的视频",
    "edit.count": "图片编辑接受 1 到 {most} 张图片，而不是 {count} 张",
    "edit.no_4k": "4K 只适用于纯文字生成的图片；有输入图片时请选 1K 或 2K",
    "edit.no_thinking": "思考模式只适用于纯文字生成的图片；提供输入图片时请不要开启",
    "edit.too_many_refs": "一个请求最多接受 {most} 张输入图片，而不是 {count} 张",
    # the input image check (core.image_check), before anything is spent
    "image.unreachable": "wanbot 无法下载这张图片；请确认不登录也能打开",
    "image.http_status": "图片链接返回了 HTTP {status} 而不是文件；请确认不登录也能打开（聊天附件的链接可能已过期）",
    "image.private": "图片链接指向私有网络，DashScope 无法获取；请使用公开链接",
    "image.redirects": "图片链接重定向超过 {hops} 次；请使用文件的直接链接",
    "image.too_big": "图片超过 {limit}；DashScope 接受不超过 {limit} 的图片",
    "image.not_image": "那个文件不是 JPEG、PNG、BMP 或 WEBP 图片；DashScope 只接受这几种",
    "image.alpha": "这张 PNG 带透明通道，DashScope 不接受；请去掉 alpha 通道后保存（或存为 JPEG）",
    "image.huge": "图片像素太多；每边必须在 {low}–{high} 像素之间",
    "image.side": "图片是 {width}×{height} 像素；每边必须在 {low}–{high} 像素之间",
    "image.aspect": "图片是 {width}×{height} 像素，比 8:1 还要狭长；DashScope 接受 1:8 到 8:1",
    "image.timeout": "图片下载和检查超过了 {seconds} 秒；请换个更小的文件或其他托管",
    "image.no_file": "wanbot 无法读取文件 {name}",
    "image.empty": "那个文件是空的，不是 JPEG、PNG、BMP 或 WEBP 图片",
    "audio.empty": "音频链接不是 WAV 或 MP3 文件；DashScope 只接受这两种",
    "audio.bad_data_uri": "那个 data: URI 不是 base64 音频数据",
    "image.bad_data_uri": "那个 data: URI 不是 base64 图片数据",
    # status and delivery of animate and image-edit jobs (core.status)
    "animate.title": "🎞️ 图生视频 · {state}",
    "title.from": "{title} · {source}",
    "animate.from_image": "来自一张图片",
    "animate.from_frames": "来自首帧和尾帧",
    "edit.from_images": "来自 {count} 张图片",
    "edit.from_image": "来自一张图片",
    "format.animate": "{resolution} · {duration} 秒",
    "delivered.animate_caption": "🎞️ {prompt_short} — {resolution}，{duration} 秒 · 任务 {job_id}",
    "delivered.animate_untitled": "图生视频",
})

ZH.update({
    # -- slack: "Edit with Wan" / "Animate with Wan" message shortcuts and the Animate button (issue 12) --
    "slack.shortcut.no_images": "那条消息没有图片文件；万相可以编辑 Slack 中发布的 JPEG、PNG、BMP 或 WEBP 图片，"
    "或用它们生成视频",
    "slack.shortcut.not_images": "那条消息的文件中没有万相能读取的图片（JPEG、PNG、BMP 或 WEBP）",
    "slack.shortcut.gone": "那条消息上的某个文件已不在 Slack 中（已删除，或机器人看不到）",
    "slack.shortcut.stale": "这个表单不属于你或已失效；请在消息上重新使用快捷方式。",
    "slack.edit.title": "用万相编辑",
    "slack.edit.images": "正在编辑 {names}（共 {total} 张中的 {n} 张；万相最多接受 9 张，结果采用最后一张的形状）。",
    "slack.edit.prompt": "要改成什么样？",
    "slack.edit.placeholder": "改成水彩画风格，保留灯塔",
    "slack.edit.submit": "编辑",
    "slack.animate.title": "用万相生成视频",
    "slack.animate.first_frame": "视频从 {names} 开始。",
    "slack.animate.from_job": "视频从任务 {job_id} 的图片开始。",
    "slack.animate.prompt": "画面里会发生什么？（可选）",
    "slack.animate.placeholder": "海浪开始翻滚，镜头缓缓拉远",
    "slack.animate.submit": "生成视频",
    # -- discord: editing and animating images (issue 12, helper i12-discord) --
    "discord.cmd.image": "根据文字提示词生成图片，或编辑你附加的图片",
    "discord.cmd.edit_image": "改为编辑一张图片（最多 9 张；结果采用最后一张的形状）",
    "discord.cmd.edit_image_more": "再加一张要编辑的图片",
    "discord.cmd.animate": "把图片生成视频（wan2.7-i2v）",
    "discord.cmd.first_frame": "视频开始的图片",
    "discord.cmd.last_frame": "视频结束的图片",
    "discord.cmd.driving_audio": "驱动视频的 WAV 或 MP3（2–30 秒）",
    "discord.cmd.animate_prompt": "视频里发生什么（可选）",
    "discord.cmd.animate_job": "或：你的某个图片结果的任务 ID，用它的第一张图片生成视频",
    "discord.cmd.animate_duration": "时长，2–15 秒（默认 5）",
    "discord.menu.edit": "用万相编辑",
    "discord.menu.animate": "用万相生成视频",
    "discord.menu.no_images": "那条消息没有可用的图片；请在附有图片的消息上使用。",
    "discord.edit.title": "用万相编辑（{count} 张图片）",
    "discord.edit.prompt": "要改什么",
    "discord.edit.placeholder": "把天空改成暴风雨，其他保持不变",
    "discord.animate.title": "用万相生成视频",
    "discord.animate.prompt": "发生什么（可选）",
    "discord.animate.placeholder": "海浪翻滚时，镜头缓缓推进",
})

# -- per-channel settings (core.channel_settings) --
ZH.update({
    "setting.threads": "为每个新创意开一个讨论串，它的重新生成、改写和变体都放在里面",
})

# -- issue 13: archive and history --
ZH.update({
    "history.title": "📚 本频道最新结果{filters}，按时间从新到旧：",
    "history.none": "📚 本频道{filters}还没有送达任何结果。",
    "history.filter_user": "（{user} 发起）",
    "history.filter_text": "（匹配“{text}”）",
    "history.entry": "{job_id} · {when} · {who}\n“{prompt}”\n{settings} · 种子 {seed} · {cost} · 👍 {votes}",
    "history.video_settings": "{model} · {resolution} · {ratio} · {duration} 秒",
    "history.image_settings": "{model} · {size} · {n} 张图片",
    "history.ratio_from_image": "随图片形状",
    "history.cost": "¥{cost}",
    "history.cost_unknown": "费用未知",
    "history.no_link": "（无链接：结果未归档，且其消息已不在）",
    "history.open": "打开",
    "history.reuse": "使用这些设置",
    "history.unavailable": "这个 wanbot 没有开启历史记录。",
    "history.bad_user": "/wan history 最多接受一个人（提及），后面再跟要查找的文字",
    "history.help": "/wan history [@user] [text] — 本频道过去的结果，带链接和“使用这些设置”",
    "discord.cmd.history": "本频道过去的结果（从新到旧），带链接和“使用这些设置”",
    "discord.cmd.history_user": "只看这个人的结果",
    "discord.cmd.history_text": "只看提示词包含这些文字的结果",
    "slack.button.reuse": "使用这些设置",
    "history.console_reuse": "使用这些设置：remix <job> <new prompt>（沿用该任务的模型、分辨率、宽高比和时长，"
    "换一个新种子）。",
})

# -- issue 13: threads per idea and variants (core.ideas, core.variants) --
ZH.update({
    "field.lineage": "来源",
    "lineage.reroll": "#{parent} 的重新生成",
    "lineage.remix": "#{parent} 的改写",
    "lineage.upscale": "#{parent} 的 1080P 版",
    "lineage.animate": "#{parent} 的图生视频",
    "lineage.continue": "接续 #{parent}",
    "lineage.untitled": "图生视频",
    "lineage.in_thread": "它的状态在这个创意的讨论串里。",
    "field.variant": "变体",
    "variants.label.seed": "变体 {number} · 种子 {seed}",
    "variants.label.ratio": "变体 {ratio}",
    "discord.cmd.variants": "一次生成多个：2–4 个种子，或多种宽高比",
    "discord.variants.seeds": "{count} 个种子",
    "discord.variants.ratio": "多种宽高比（16:9、9:16、1:1……）",
    "variants.no_audio": "变体不能共用附加的配乐；请改用 audio_url 提供",
    "variants.started": "正在生成 {count} 个变体，任务为 {job_ids}；它们在这个创意的讨论串里。",
    "variants.bad": "--variants 接受 2 到 4 的数字或 ratio，而不是 {value}",
    "variants.ratio_unsupported": "{model} 只有一种画面形状；--variants ratio 需要文生视频模型",
    "variants.seed_given": "--variants {count} 会生成 {count} 个不同的种子；请去掉 --seed",
})
# -- issue 13: spend that asks first --
ZH.update({
    "setting.confirm_over": "预估超过这么多元的任务需要发起人确认（off：从不询问）",
    "setting.approve_over": "预估超过这么多元的任务要等审批人点“批准”（off：从不）",
    "setting.approver_role": "谁来审批：Discord 角色（ID 或提及）、Slack 用户 ID；admins = 频道管理员",
    "settings.title": "本频道的设置：",
    "settings.cmd": "查看本频道的设置，或修改其中一项（管理员）",
    "settings.cmd.name": "要修改的设置",
    "settings.cmd.value": "新的值（例如 15、off、on、一个角色）",
    "settings.row": "{name} = {value} — {help}",
    "settings.saved": "已保存：{name} = {value}。",
    "settings.denied": "只有本频道的管理员才能修改设置。",
    "settings.value.off": "off",
    "settings.value.on": "on",
    "settings.value.admins": "admins",
    "spend.ask": "这次大约花费 ¥{total}（{summary}）。要开始吗？",
    "spend.ask.typed": "这次大约花费 ¥{total}（{summary}）。输入 `confirm {ask_id}` 开始。",
    "spend.summary.video": "{resolution}，{seconds} 秒",
    "spend.summary.image": "{n} 张图片",
    "spend.summary.many": "{count} 个任务",
    "spend.button.confirm": "确认",
    "spend.button.dismiss": "取消",
    "spend.button.approve": "✅ 批准",
    "spend.button.decline": "拒绝",
    "spend.approval": "{who} 申请花费约 ¥{total}（{summary}）：等待审批人处理。",
    "spend.approval.typed": "{who} 申请花费约 ¥{total}（{summary}）：审批人输入 `approve {ask_id}` "
    "或 `decline {ask_id}`。",
    "spend.approval.sent": "这次大约花费 ¥{total}，超过了本频道的审批额度：已通知审批人。",
    "spend.not_found": "这里没有待确认的 {ask_id}。",
    "spend.not_yours": "只有发起人才能确认或取消。",
    "spend.not_approver": "只有本频道的审批人才能批准或拒绝。",
    "spend.expired": "这个确认已过期；如果还需要，请重新发起。",
    "spend.already.started": "已经开始了（任务 {job_ids}）。",
    "spend.already.cancelled": "已取消；没有开始任何任务。",
    "spend.already.declined": "已被拒绝；没有开始任何任务。",
    "spend.already.refused": "没有开始：确认时被某项限额拒绝了。",
    "spend.dismissed": "已取消；没有开始任何任务，也没有花费。",
    "spend.declined": "已拒绝；没有开始任何任务。",
    "spend.declined.notice": "{mention} 你的请求（约 ¥{total}，{summary}）被 {by} 拒绝了。",
    "spend.approved.notice": "{by} 已批准：正在开始任务 {job_ids}。",
    "alert.budget": "{mention} {whose}{period}预算已用 {percent}%：{limit} 中已用 {used}。",
    "alert.whose.user": "{name} 的",
    "alert.whose.workspace": "工作区的",
    "alert.budget.admins": "预算提醒：任务 {job_id} 之后，{whose}{period}预算已用 {percent}%"
    "（{limit} 中已用 {used}）。",
    "admin.incident": "wanbot 无法开始视频：DashScope 对任务 {job_id} 返回了 {code}"
    "（request_id {request_id}）：{detail}",
    "error.operator": "wanbot 现在无法开始视频；已通知管理员。",
})
# What the requester reads for an operator's problem (core.admin_route): no key or billing detail.
ZH.update({f"error.{code}": ZH["error.operator"] for code in (
    "Arrearage", "InvalidApiKey", "AccessDenied", "AccessDenied.Unpurchased", "Model.AccessDenied",
    "Workspace.AccessDenied")})

ZH.update({
    # -- zh-CN (issue 14, item 6): the typed commands at a glance --
    "input.unknown_command": "没有 {command} 这个命令；可用：video、image、animate、storyboard、status、cancel、"
    "reroll、remix、upscale、delete、usage、defaults、history、settings、top、notify 或 help",
    "input.unknown_option": "没有 --{name} 这个选项；可用的选项：{known}",
    "input.no_option_name": "{token} 缺少选项名；可用的选项：{known}",
    "input.takes_no_value": "--{name} 不接受值",
    "input.needs_value": "--{name} 需要一个值（{hint}）",
    "input.seed": "--seed 必须是 0 到 {most} 之间的整数",
    "request.unknown_model": "没有 {model} 这个模型；可选：{known}",
    "request.prompt_long": "提示词有 {length} 个字符；{model} 最多接受 {most} 个",
    "request.negative_long": "反向提示词有 {length} 个字符；最多 {most} 个",
    "request.resolution": "{model} 的分辨率必须是 {options}",
    "request.ratio": "宽高比必须是 {options}",
    "request.no_audio": "{model} 不能添加音轨",
    "request.audio_link": "音频必须是指向 WAV 或 MP3 文件的 http(s) 链接",
    "list.or": "{items} 或 {last}",
    "help.text": """\
/wan video <prompt> [--ratio 16:9|9:16|1:1|4:3|3:4] [--duration 2-15] [--resolution 720P|1080P]
                    [--seed N] [--negative "..."] [--no-extend] [--watermark] [--model ...]
                    [--variants 2-4|ratio]   多个种子（或宽高比）并排放在同一个讨论串里
/wan image <prompt> [--size 1K|2K|4K] [--n 1-4] [--seed N] [--model wan2.7-image|wan2.7-image-pro]
/wan image <prompt> --image <link> [--image <link> …]   编辑 1–9 张图片（1K 或 2K）
/wan animate [prompt] --first <link> [--last <link>] [--audio <link>] [--resolution 720P|1080P]
                    [--duration 2-15] [--seed N]   或  /wan animate [prompt] --from <image job>
/wan storyboard <shot 1> | <shot 2> | … [--duration N] [--ratio …] [--resolution …] [--seed N]
                    一个视频最多五个镜头，共享总时长
/wan status [job]   /wan cancel [job]   /wan usage   /wan help
/wan reroll <job>   /wan upscale <job>   /wan remix <job> <new prompt>   /wan delete <job>
/wan defaults [--model ...] [--resolution ...] [--ratio ...] [--duration N] [--no-extend] [--watermark]
              [--negative "..."]   本频道所有视频的默认设置（管理员设置；--clear 清除）
/wan history [@user] [text]   本频道过去的结果，带链接和“使用这些设置”
/wan settings [name value]   本频道的设置：confirm_over、approve_over、approver_role、threads、vote_emoji
/wan confirm <id>   /wan dismiss <id>   /wan approve <id>   /wan decline <id>   回应价格确认或审批
/wan top [today|week|all]   本频道得票最多的结果（点 👍 投票），每条都可升级到 1080P
/wan notify on|off   任务结束时提醒你，或只写你的名字（默认开启）
也支持 Midjourney 风格的参数：--ar 9:16、--no "要避免的内容"。""",
})

# -- keys added by the merges of 2026-12-03 (variants cap, Slack mentions, autocomplete help, votes, people,
#    console): translated at merge --
ZH.update({
    "help.options": "**/wan video** `prompt` — 生成视频；选项：model、resolution、ratio、duration、negative、seed、"
    "prompt_extend、watermark、shot_type、audio、variants（2–4 个种子或 ratio，并排对比）\n"
    "**/wan storyboard** — 一个视频最多五个镜头\n"
    "**/wan image** `prompt` — 生成图片；选项：model、size、n、seed、watermark、thinking_mode；附加最多 "
    "9 张图片（image … image9）即可编辑它们\n"
    "**/wan animate** — 用图片生成视频：image（或 job）、last_frame、audio、prompt、negative、"
    "resolution、duration、seed、prompt_extend、watermark\n"
    "**/wan status** `[job]` · **/wan cancel** `[job]` · **/wan usage** · **/wan help**\n"
    "**/wan history** `[user] [text]` — 本频道过去的结果 · **/wan settings** — 本频道的设置（价格确认、审批、讨论串）\n"
    "在任何带图片的消息上（应用菜单）：**用万相编辑**、**用万相生成视频**。\n"
    "在状态消息上：排队时可 **取消**，之后可 **重新生成**（新种子）、**改写**（修改提示词）、"
    "**1080P**（相同种子，更清晰）、**图生视频**（图片结果）和 **删除**。",
    "cap.batch": "{wanted} 个变体需要同时占用 {wanted} 个名额，而每人最多 {cap} 个进行中的任务。最多请求 {cap} 个。",
    "cap.batch.busy": "{wanted} 个变体需要 {wanted} 个空闲名额，你的 {cap} 个名额现在只空出 {free} 个。"
    "请等一个任务完成，或少要几个变体。",
    "spend.already.started.many": "已经开始了（任务 {job_ids}）。",
    "slack.mention.storyboard": "提及机器人无法打开分镜表单：请在后面直接写镜头，用 | 分隔，例如 "
    "storyboard a fox wakes up | it runs into the snow",
    "suggest.seconds": "{seconds} 秒",
    "help.models": "各模型可用的取值（--model）：",
    "help.model.video": "  {model}：{resolutions}；{durations} 秒",
    "help.model.animate": "  {model}（/wan animate）：{resolutions}；{durations} 秒",
    "help.model.image": "  {model}（/wan image）：{sizes}",
    "setting.vote_emoji": "对结果投票用的表情（未设置：WANBOT_VOTE_EMOJI，👍；off：不投票）",
    "top.title.today": "🏆 本频道今天得票最多的结果：",
    "top.title.week": "🏆 本频道本周得票最多的结果：",
    "top.title.all": "🏆 本频道得票最多的结果：",
    "top.none.today": "🏆 今天这里的结果还没有人投票。在结果上点 {emoji} 即可投票。",
    "top.none.week": "🏆 本周这里的结果还没有人投票。在结果上点 {emoji} 即可投票。",
    "top.none.all": "🏆 这里的结果还没有人投票。在结果上点 {emoji} 即可投票。",
    "top.entry": "{rank}. {job_id} · {votes} 票 · 作者 {who}\n“{prompt}”\n{settings} · 种子 {seed}",
    "top.no_link": "（无链接）",
    "top.promote": "升级",
    "top.promote.typed": "输入 `promote {job_id}` 即可以 1080P 重新生成。",
    "top.unavailable": "这个 wanbot 不保存投票。",
    "top.cmd": "本频道得票最多的结果（点表情投票），可一键升级到 1080P",
    "top.cmd.window": "哪些结果：今天的、本周的（默认）或全部",
    "promote.not_delivered": "任务 {job_id} 还没有可升级的结果。",
    "promote.already_1080p": "任务 {job_id} 已经是 1080P；想要另一个版本请点重新生成。",
    "action.promoted": "正在以 1080P（相同种子）升级任务 {job_id}，新任务为 {new_job_id}。",
    "people.requested_by": "发起人",
    "people.caption_by": "由 {who} 发起",
    "people.ready.video": "{who} 你的视频好了：{link}",
    "people.ready.image": "{who} 你的图片好了：{link}",
    "people.no_link": "任务 {job_id}",
    "people.failed": "{who} 你的任务 {job_id} 没有完成：{reason}",
    "people.notify.on": "你的视频和图片完成或失败时会提醒你。",
    "people.notify.off": "任务结束时不再提醒你；状态消息仍会写上你的名字。`/wan notify on` 可重新开启提醒。",
    "people.notify.is_on": "任务结束时会提醒你。`/wan notify off` 可关闭。",
    "people.notify.is_off": "任务结束时不会提醒你。`/wan notify on` 可重新开启提醒。",
    "people.notify.console": "控制台不会提醒任何人：这里没有可开关的设置。",
    "people.notify.unavailable": "这里无法设置提醒偏好。",
    "discord.cmd.notify": "任务结束时提醒你（on）或不提醒（off）",
    "discord.cmd.notify_choice": "on：任务结束时提醒我；off：只写我的名字",
    "console.welcome": "wanbot 控制台 — 输入提示词（会生成视频），或输入 help。"
    "Ctrl-D 等任务完成后退出；Ctrl-C 立即退出。",
    "console.welcome.paid": "wanbot 控制台（使用你的 DashScope 密钥）— 输入 video <提示词>，或输入 help；"
    "每个任务都会先显示价格并询问。Ctrl-D 等任务完成后退出；Ctrl-C 立即退出。",
    "console.not_command": "这不是命令，而这个密钥生成视频是要计费的：输入 `video <你的提示词>` 来生成。",
    "console.confirm.prompt": "（y/N）",
    "console.field": "{name}：{value}",
    "console.interrupted": "已停止。未完成的任务仍保存着，下次启动时会继续。",
})


# -- zh-CN, the rest (issue 14, item 6): the last refusals that were English literals in core code --
ZH.update({
    "input.must_be": "--{flag} 必须是{what}，而不是 {value}",
    "input.whole_seconds": "整数秒数",
    "input.whole_1_to_4": "1 到 4 之间的整数",
    "input.hint.seconds": "秒数，例如 5",
    "input.hint.seed": "0 到 {most}",
    "input.hint.negative": "要避免的内容",
    "input.hint.audio": "指向 WAV/MP3 的 https 链接",
    "input.hint.variants": "2 到 4 | ratio",
    "input.hint.n": "1 到 4",
    "input.hint.first": "首帧图片链接（JPEG、PNG、BMP 或 WEBP）",
    "input.hint.last": "尾帧图片链接",
    "input.hint.driving_audio": "驱动视频的 WAV/MP3 链接",
    "input.hint.from": "要做成动画的图片任务 id",
    "input.what.id": "id",
    "input.what.job_id": "任务 id",
    "request.duration_whole": "时长（duration）必须是整数秒",
    "request.duration": "{model} 的时长（duration）必须是整数秒：{allowed}",
    "request.durations.range": "{low} 到 {high}",
    "request.shot_type": "{model} 的 shot_type：{allowed}",
    "request.shot_type_unsupported": "{model} 不支持 shot_type",
    "request.audio_driving": "{model} 的音频要作为驱动音频（driving audio）提供，不能用 audio_url",
    "request.seed_range": "seed 必须是 0 到 {most} 之间的整数",
    "request.unknown_field": "没有 {name} 这个选项",
    "request.not_whole": "{name} 必须是整数",
    "request.not_yes_no": "{name} 必须是 yes 或 no",
    "request.required": "缺少 {name}",
    "image.unknown_model": "没有 {model} 这个图片模型；可选：{known}",
    "image.prompt_empty": "提示词是空的：请描述你想要的图片",
    "image.size": "{model} 的尺寸（size）必须是 {options}",
    "image.n": "n 必须是 1 到 {most} 之间的整数",
    "settings.unknown": "{name} 不是频道设置；可用的设置：{known}",
    "settings.takes": "{setting} 的值应为：{expected}，而不是 {text}",
    "settings.expect.on_off": "on 或 off",
    "settings.expect.yuan": "以元为单位的金额（例如 15）或 off",
    "settings.expect.ids": "身份组 id 或提及（Discord）、用户 id（Slack），或 admins",
    "settings.expect.emoji": "一个表情（例如 👍 或 :fire:）或 off",
    "settings.needs_value": "/wan settings {name} 需要一个值（输入 /wan settings 可查看全部设置）",
    "spend.one_id": "/wan {verb} 只接受一个 id（在询问你的那条消息里）",
    "top.bad_window": "/wan top 只接受 today、week 或 all，而不是 {word}",
    "top.one_word": "/wan top 最多接受一个词：today、week 或 all",
    "promote.one_id": "/wan promote 只接受一个任务 id（在 /wan top 里可以找到）",
    "notify.bad": "/wan notify 只接受 on 或 off，而不是 {words}",
    "media.needs_link": "--{name} 需要一个值（图片链接）",
    "variants.nothing": "空",
    "job.at_most_one_id": "/wan {verb} 最多接受一个任务 id",
    "job.needs_id": "/wan {verb} 需要一个任务 id（在状态消息上可以找到）",
    "job.one_id": "/wan {verb} 只接受一个任务 id",
    "job.remix_needs": "/wan remix 需要任务 id 和新的提示词",
    "defaults.no_prompt": "/wan defaults 只接受选项，不接受提示词（{words}）；"
    "试试 /wan defaults --resolution 1080P",
    "defaults.clear_alone": "--clear 不能和其他选项一起使用",
    "defaults.not_allowed": "{flag} 不能作为频道默认值；默认值可以设置 {allowed}",
})

__all__ = ["ZH"]
