"""Every sentence wanbot says to a person, in one catalogue.

Texts are looked up by key and formatted with named fields, so a translation is one more dictionary
(``CATALOGUES["zh-CN"] = {...}``) and code never holds a user-facing literal. Keys missing from a
translation fall back to English. Error explanations are keyed ``error.<DashScope code>``; every code in
``core.errors.KNOWN_CODES`` has one (a test checks).
"""

from __future__ import annotations

from typing import Any

from core.locale import EN as EN_LOCALE
from core.locale import ZH_CN, current, pick

EN: dict[str, str] = {
    # status titles and lines, by job state
    "state.QUEUED": "Queued",
    "state.SUBMITTING": "Queued",
    "state.PENDING": "Waiting for DashScope",
    "state.RUNNING": "Generating",
    "state.SUCCEEDED": "Uploading",
    "state.DELIVERED": "Done",
    "state.FAILED": "Failed",
    "state.CANCELED": "Cancelled",
    "state.EXPIRED": "Expired",
    "line.queued": "position {position} in line",
    "line.queued_next": "next in line",
    "line.elapsed": "{elapsed}",
    # ``{ago}`` stays as it is: the adapter puts the platform's ticking relative time there
    "line.clock": "asked {{ago}}",
    "line.typical": "usually {duration}",
    "title": "🎬 {state}",
    "field.model": "Model",
    "field.format": "Format",
    "field.seed": "Seed",
    "field.cost": "Cost",
    "field.estimate": "Estimate",
    "field.job": "Job",
    "field.negative": "Avoid",
    # prompt extension rewrote the prompt: what Wan rendered, and a remix that starts from it
    "field.wan_prompt": "Prompt Wan used",
    "format": "{resolution} · {ratio} · {duration}s",
    # delivery
    "delivered.caption": "🎬 {prompt_short} — {resolution} {ratio}, {duration}s · job {job_id}",
    "delivered.reencoded": "Re-encoded from {original} to {final} to fit this channel's {limit} upload limit.",
    "delivered.link": "Too large for this channel ({size} > {limit}) even after re-encoding. "
    "Download it before {expires}: {url}",
    "expired.detail": "The video link expired at {expires} before it could be delivered. "
    "Nothing was lost on your bill beyond the finished task; ask again to make a new one.",
    "failed.timeout": "DashScope did not finish within {limit}; the task was abandoned.",
    "failed.unknown_task": "DashScope no longer knows this task (older than 24 hours or never created).",
    "failed.generic": "Something went wrong: {message}",
    # commands and refusals
    "queued.ack": "Queued job {job_id}.",
    "cancel.done": "Cancelled job {job_id}. Nothing was billed.",
    "cancel.too_late": "Job {job_id} is already generating; DashScope cannot stop it now.",
    "cancel.finished": "Job {job_id} has already finished.",
    "job.not_found": "I can't find job {job_id}.",
    "job.none_active": "You have no job in progress.",
    "cap.user": "You already have {count} jobs in progress (the limit is {cap}). "
    "Wait for one to finish, or cancel one.",
    "budget.exceeded": "That would go over {whose} {period} budget of {limit}: {spent} used so far, and this "
    "request needs {needed}. It resets {reset}.",
    "budget.whose.user": "your",
    "budget.whose.workspace": "this workspace's",
    "budget.period.day": "daily",
    "budget.period.month": "monthly",
    "budget.reset.day": "at midnight ({tz})",
    "budget.reset.month": "on the 1st ({tz})",
    "cap.cooldown": "Easy there: you can try again in {seconds} s.",
    "invalid": "That request doesn't work: {reason}.",
    "access.denied": "wanbot isn't enabled for you here. Ask an admin if you think it should be.",
    "action.not_yours": "Only the person who asked for this video (or a moderator) can do that.",
    "action.deleted": "Deleted.",
    "action.rerolled": "Re-rolling job {job_id} with a new seed as job {new_job_id}.",
    "action.upscaled": "Making job {job_id} again at 1080P (same seed) as job {new_job_id}.",
    "action.remixed": "Remixing job {job_id} as job {new_job_id}.",
    "error.internal": "Something went wrong on wanbot's side; it has been logged. Please try again.",
    "image.done": "🖼️ {prompt_short} — {size}, {n} image(s) · ¥{cost}",
    "usage.row": "{label}: {videos} video(s), {images} image(s), {seconds:g} s billed, ¥{cost}",
    "usage.label": "{who}, {period}",
    "usage.title": "Usage",
    "usage.you": "You",
    "usage.everyone": "Everyone here",
    "usage.today": "today",
    "usage.month": "this month",
    "sandbox.notice": "No DASHSCOPE_API_KEY set: using the built-in sandbox (free, placeholder videos).",
    # Slack adapter (button labels, the remix modal, channel membership)
    "slack.button.cancel": "Cancel",
    "slack.button.reroll": "Re-roll",
    "slack.button.remix": "Remix",
    "slack.button.upscale": "1080P",
    "slack.button.delete": "Delete",
    "slack.delete.confirm_title": "Delete this video?",
    "slack.delete.confirm_text": "The status message and the video will be removed for everyone.",
    "slack.delete.confirm": "Delete",
    "slack.delete.deny": "Keep it",
    "slack.download": "Download the video",
    "slack.remix.title": "Remix job {job_id}",
    "slack.remix.title_wan": "Wan's prompt, {job_id}",
    "slack.button.remixwan": "Remix Wan's prompt",
    "slack.button.animate": "Animate",
    "slack.remix.prompt": "New prompt",
    "slack.remix.submit": "Remix",
    "slack.remix.close": "Close",
    "slack.not_in_channel": "I can't post in this conversation: it's private or a direct message I'm not part of. "
    "Invite me with `/invite @wanbot`, or use /wan in a public channel.",
    "slack.unreachable": "Slack didn't answer wanbot just now. Please try again in a moment.",
    # Discord adapter (buttons, modals, command descriptions ≤ 100 characters, help)
    "discord.button.cancel": "Cancel",
    "discord.button.reroll": "Re-roll",
    "discord.button.remix": "Remix",
    "discord.button.upscale": "1080P",
    "discord.button.delete": "Delete",
    "discord.remix.title": "Remix this video",
    "discord.remix.title_wan": "Remix from the prompt Wan used",
    "discord.button.remixwan": "Remix Wan's prompt",
    "discord.button.animate": "Animate",
    "discord.remix.prompt": "Prompt",
    "discord.storyboard.title": "Storyboard ({duration} s)",
    "discord.storyboard.shot": "Shot {n}",
    "discord.storyboard.placeholder": "wide shot: a lighthouse at dusk, waves crashing below",
    "discord.cmd.wan": "Wan 2.7 videos and images",
    "discord.cmd.video": "Make a video from a text prompt",
    "discord.cmd.storyboard": "Make a multi-shot video: up to five shots in one clip",
    "discord.cmd.status": "Show the status of a job (default: your latest)",
    "discord.cmd.cancel": "Cancel a job that has not started generating (default: your latest)",
    "discord.cmd.usage": "Seconds and cost today and this month, yours and this server's",
    "discord.cmd.help": "How to use wanbot",
    "discord.cmd.prompt": "What to show",
    "discord.cmd.model": "Which model (default wan2.7-t2v)",
    "discord.cmd.image_model": "Which image model (default wan2.7-image)",
    "discord.cmd.resolution": "720P (default, cheaper) or 1080P",
    "discord.cmd.ratio": "Aspect ratio (default 16:9)",
    "discord.cmd.duration": "Length in seconds (default 5)",
    "discord.cmd.negative": "What to avoid",
    "discord.cmd.seed": "Seed, to repeat a result",
    "discord.cmd.prompt_extend": "Let the model expand the prompt (default yes)",
    "discord.cmd.watermark": "Add the AI-generated watermark",
    "discord.cmd.audio": "A WAV or MP3 soundtrack",
    "discord.cmd.audio_url": "Or a link to a WAV or MP3 soundtrack",
    "discord.cmd.size": "Image size",
    "discord.cmd.n": "How many images (each is billed)",
    "discord.cmd.job": "Job id (from the status message)",
    # /wan defaults: per-channel request defaults (all adapters; the Discord command's descriptions too)
    "defaults.none": "This channel has no defaults: videos use each model's own.",
    "defaults.show": "Videos in this channel default to: {summary}. Options typed with /wan video win.",
    "defaults.saved": "Saved. Videos in this channel now default to: {summary}.",
    "defaults.cleared": "Cleared. Videos in this channel use each model's own defaults again.",
    "defaults.denied.discord": "Only members who can manage this channel or the server may change its defaults.",
    "defaults.denied.slack": "Only workspace admins and owners may change this channel's defaults.",
    "defaults.item.model": "model {value}",
    "defaults.item.resolution": "{value}",
    "defaults.item.ratio": "{value}",
    "defaults.item.duration": "{value} s",
    "defaults.item.prompt_extend.True": "prompt extension on",
    "defaults.item.prompt_extend.False": "prompt extension off",
    "defaults.item.watermark.True": "watermark",
    "defaults.item.watermark.False": "no watermark",
    "defaults.item.negative_prompt": "avoid “{value}”",
    "defaults.cmd": "Show or set this channel's defaults for /wan video (admins)",
    "defaults.cmd.clear": "Remove all of this channel's defaults",
    "defaults.cmd.model": "Default model",
    "defaults.cmd.resolution": "Default resolution",
    "defaults.cmd.ratio": "Default aspect ratio",
    "defaults.cmd.duration": "Default length in seconds",
    "defaults.cmd.negative": "Default text to avoid",
    "defaults.cmd.prompt_extend": "Let the model expand prompts by default",
    "defaults.cmd.watermark": "Add the AI-generated watermark by default",
    # DashScope errors, by code
    "error.InvalidParameter": "DashScope rejected a parameter of this request.",
    "error.DataInspectionFailed": "The content filter flagged the prompt or the result. "
    "Try rewording it; nothing was billed.",
    "error.IPInfringementSuspect": "DashScope suspects the prompt names protected characters or brands. "
    "Try rewording it.",
    "error.Arrearage": "The DashScope account is out of credit. Ask an admin to top it up.",
    "error.UnsupportedOperation": "DashScope can't do that to this task any more.",
    "error.InvalidApiKey": "The bot's DashScope key is not valid (or is for another region). Ask an admin.",
    "error.AccessDenied": "The bot's DashScope account has no access to this model. Ask an admin.",
    "error.AccessDenied.Unpurchased": "This model is not enabled on the bot's DashScope account. Ask an admin.",
    "error.Model.AccessDenied": "The bot's DashScope key may not use this model. Ask an admin.",
    "error.Workspace.AccessDenied": "The bot's DashScope workspace may not use this model. Ask an admin.",
    "error.SignatureDoesNotMatch": "The video link was refused by storage. Ask an admin to check the logs.",
    "error.ModelNotFound": "DashScope doesn't know this model.",
    "error.Throttling": "DashScope is busy right now; wanbot will keep trying.",
    "error.Throttling.RateQuota": "DashScope's rate limit was hit; wanbot will keep trying.",
    "error.Throttling.BurstRate": "Too many requests at once; wanbot will keep trying.",
    "error.Throttling.AllocationQuota": "DashScope's quota for this model is used up for now. Try later.",
    "error.InternalError": "DashScope had an internal error. Try again in a minute.",
    "error.InternalError.Timeout": "DashScope could not finish the video in time. Try again.",
    "error.InternalError.Upload": "DashScope could not store the finished video. Try again.",
    "error.SystemError": "DashScope had a system error. Try again in a minute.",
    "error.ModelUnavailable": "The model is overloaded right now. Try again in a few minutes.",
    "error.ModelServingError": "The model is overloaded right now. Try again in a few minutes.",
    "error.TransportError": "wanbot could not reach DashScope. It will keep trying.",
    "error.CreateUnconfirmed": "wanbot could not confirm whether DashScope started this job, so it did "
    "not retry (that could bill you twice). Check `/wan status` in a minute.",
    "error.Unknown": "DashScope answered with an unexpected error.",
    # input (issue 9): text wanbot refuses to send (core.text), and options given twice (core.commands)
    "input.what.prompt": "the prompt",
    "input.what.negative_prompt": "the negative prompt",
    "input.what.audio_url": "the audio link",
    "input.what.option": "an option name",
    "input.what.command": "the command",
    "input.control": "{what} contains a control character ({code}), which wanbot will not send; "
    "remove it and try again",
    "input.surrogate": "{what} contains a broken character ({code}, half of a UTF-16 pair); "
    "paste the text again",
    "input.prompt_invisible": "the prompt has no visible text, only spaces, invisible or formatting characters: "
    "describe the {kind} you want",
    "input.negative_invisible": "the negative prompt has no visible text, only invisible or formatting "
    "characters: write what to avoid, or leave it out",
    "input.option_twice": "{flag} was given twice; give it once",
    "input.option_alias_twice": "{flag} and {other} are the same option, given twice; give it once",
    "input.audio_url_spaces": "the audio link contains a space or an invisible character; paste the link "
    "again, on its own",
    # audio (issue 12): the file behind an audio link, checked before anything is spent (core.media_check)
    "audio.unreachable": "wanbot could not download the audio link; check it opens without signing in",
    "audio.http_status": "the audio link answered HTTP {status} instead of a file; check it opens without "
    "signing in (a chat attachment's link may have expired)",
    "audio.private": "the audio link points inside a private network, where DashScope cannot fetch it; "
    "use a public link",
    "audio.redirects": "the audio link redirects more than {hops} times; use the file's direct link",
    "audio.too_big": "the audio file is over {limit}; DashScope takes WAV or MP3 files up to {limit}",
    "audio.not_audio": "the audio link is not a WAV or MP3 file; DashScope takes only those two",
    "audio.duration": "the audio is {seconds} s long; DashScope takes {low}–{high} s of WAV or MP3",
    "audio.timeout": "the audio link took over {seconds} s to download and check; try a smaller file "
    "or another host",
    "input.option_contradiction": "{flag} and {other} contradict each other; give one of them",
    # bot (issue 9): the embedded sandbox said out loud
    "status.sandbox": "sandbox — placeholder video, nothing billed",
    "status.sandbox.image": "sandbox — placeholder images, nothing billed",
    "run.sandbox_refused": "No DASHSCOPE_API_KEY is set, so Discord and Slack users would get placeholder "
    "sandbox videos: set DASHSCOPE_API_KEY for real videos, or start with `wanbot run --sandbox` (or set "
    "WANBOT_SANDBOX=1) to serve the sandbox on purpose.",
    # slack (issue 9)
    # -- create safety (issue 9, core-a): one request, one task --------------------------------------------
    "error.CreateAmbiguous": "DashScope may have started this job, but wanbot could not tell which task "
    "was yours, so it stopped rather than guess (any such task was cancelled where possible). This request "
    "is not counted against your usage. Please try again.",
    "error.ForeignTask": "What DashScope finished for this request was made from another request's "
    "prompt, so wanbot did not deliver it. You were not charged for someone else's result. Please try again.",
    # -- engine races (issue 9, core-b) --
    "error.TaskClaimed": "wanbot could not tell which DashScope task is this job's, so it stopped rather "
    "than risk sending you someone else's. Please try again.",
    # -- images as engine jobs (issue 10, images) --
    "image.title": "🖼️ {state}",
    "image.field.size": "Size",
    "image.field.count": "Images",
    "delivered.image_caption": "🖼️ {prompt_short} — {size}, {count} image(s) · job {job_id}",
    "delivered.image_links": "Too large for this channel's {limit} upload limit; download before {expires}:\n"
    "{links}",
    "image.expired.detail": "The image links expired at {expires} before they could be delivered. "
    "Ask again to make new ones.",
    "image.none_returned": "DashScope finished the task but returned no image; nothing was charged for it. "
    "Please try again.",
}

EN.update({
    # -- the use-case layer (issue 10): one wording for every surface --
    "delete.partial": "Deleted what I could, but the platform would not let me delete {what}; "
    "try again in a moment or ask an admin to remove it.",
    "delete.the_result": "the delivered file",
    "delete.the_status": "the status message",
    "delete.failed": "The platform would not let me delete the status message or the delivered file; "
    "try again in a moment or ask an admin to remove them.",
    "cancel.none_here": "You have no job in progress in this channel; cancel one from the channel you "
    "asked for it in, or with /wan cancel <job id> there.",
    "defaults.denied": "Only this channel's admins may change its defaults.",
    "upscale.unsupported": "{model} has no 1080P version, so there is nothing sharper to make",
    "error.dashscope_said": "DashScope refused this request: {message}",
    "storyboard.empty": "describe at least one shot",
    "storyboard.too_many": "a storyboard has at most {most} shots, not {shots}",
    "storyboard.too_short": "{shots} shots need at least {shots} seconds, and the video is {duration} s",
})

EN.update({
    # -- slack storyboard modal (issue 10) --
    "slack.storyboard.title": "Storyboard ({duration} s)",
    "slack.storyboard.shot": "Shot {n}",
    "slack.storyboard.placeholder": "wide shot: a lighthouse at dusk, waves crashing below",
    "slack.storyboard.submit": "Make it",
    "slack.storyboard.stale": "This storyboard form isn't yours or is no longer valid; start a new one with "
    "/wan storyboard.",
})

EN.update({
    # -- discord on core.actions (issue 10) --
    "discord.cmd.shot_type": "single: one continuous shot; multi: the model may cut between shots",
    "discord.cmd.thinking_mode": "Let the model plan the image before drawing it (default yes; slower)",
})

EN.update({
    # -- slack: a command whose job is not stored before Slack's 3 s runs out (issue 11) --
    "slack.working": "Working on it… your status message will appear in the channel in a moment.",
    # -- queue positions past the first few (issue 11): a range, so a move up one place rarely changes it --
    "line.queued_range": "position {low}–{high} in line",
})

EN.update({
    # -- gateways with their own task shape (issue 12, gateway): a task query that only says "not found" --
    "failed.task_not_found": "DashScope kept answering that this job's task does not exist for {limit}, so "
    "wanbot stopped waiting for it (if the bot goes through a gateway, an admin should check "
    "WANBOT_DASHSCOPE_GATEWAY).",
})

EN.update({
    # -- image editing and animate (issue 12, i12-core) --
    "media.gone": "that file is no longer kept; attach it again",
    "media.bad_ref": "that file reference is not one wanbot made; attach the file instead",
    "media.needs_host": "audio from a chat attachment needs a public address: the operator must set "
    "WANBOT_PUBLIC_URL, or use a public link to the audio",
    "media.slack_private_audio": "Slack files are private: the operator must set WANBOT_PUBLIC_URL for audio "
    "from Slack",
    "media.not_link": "{what} must be an http(s) link or a file wanbot keeps",
    "media.link_spaces": "{what} contains a space or an invisible character; paste the link again, on its own",
    "media.what.image": "an input image",
    "media.what.frame": "the frame",
    "media.what.audio": "the audio",
    "media.no_stash": "this wanbot was started without a place to keep files, so it cannot take "
    "attachments; ask the operator",
    "action.animated": "Animating an image of job {job_id} as job {new_job_id}.",
    "animate.from_job_gone": "that image is no longer kept; attach it",
    "animate.not_image_job": "job {job_id} is not an image result; animate starts from an image",
    "animate.ratio": "an animation has no ratio: its shape follows the first frame",
    "animate.no_first_frame": "animate needs a first frame: attach an image, or animate an image result",
    "animate.two_sources": "give either a first frame or an image result to animate, not both",
    "animate.last_without_first": "a last frame needs a first frame too",
    "animate.media_twice": "{type} was given twice; give it once",
    "animate.needs_media": "{model} animates an image: use /wan animate with a first frame",
    "animate.no_media": "{model} makes video from text alone; to start from an image use /wan animate",
    "animate.prompt_empty": "the prompt is empty: describe the video you want",
    "edit.count": "image editing takes 1 to {most} images, not {count}",
    "edit.no_4k": "4K is only for images made from text alone; with input images choose 1K or 2K",
    "edit.no_thinking": "thinking mode is only for images made from text alone; leave it out when you give "
    "input images",
    "edit.too_many_refs": "a request takes at most {most} input images, not {count}",
    # the input image check (core.image_check), before anything is spent
    "image.unreachable": "wanbot could not download the image; check it opens without signing in",
    "image.http_status": "the image link answered HTTP {status} instead of a file; check it opens without "
    "signing in (a chat attachment's link may have expired)",
    "image.private": "the image link points inside a private network, where DashScope cannot fetch it; "
    "use a public link",
    "image.redirects": "the image link redirects more than {hops} times; use the file's direct link",
    "image.too_big": "the image is over {limit}; DashScope takes images up to {limit}",
    "image.not_image": "that file is not a JPEG, PNG, BMP or WEBP image; DashScope takes only those",
    "image.alpha": "the PNG has transparency, which DashScope refuses; save it without an alpha channel "
    "(or as JPEG)",
    "image.huge": "the image has far too many pixels; each side must be {low}–{high} px",
    "image.side": "the image is {width}×{height} px; each side must be {low}–{high} px",
    "image.aspect": "the image is {width}×{height} px, more elongated than 8:1; DashScope takes 1:8 to 8:1",
    "image.timeout": "the image took over {seconds} s to download and check; try a smaller file or another host",
    "image.no_file": "wanbot cannot read the file {name}",
    "image.empty": "that file is empty, not a JPEG, PNG, BMP or WEBP image",
    "audio.empty": "the audio link is not a WAV or MP3 file; DashScope takes only those two",
    "audio.bad_data_uri": "that data: URI is not base64 audio data",
    "image.bad_data_uri": "that data: URI is not base64 image data",
    # status and delivery of animate and image-edit jobs (core.status)
    "animate.title": "🎞️ Animate · {state}",
    "title.from": "{title} · {source}",
    "animate.from_image": "from an image",
    "animate.from_frames": "from a first and a last frame",
    "edit.from_images": "from {count} images",
    "edit.from_image": "from an image",
    "format.animate": "{resolution} · {duration}s",
    "delivered.animate_caption": "🎞️ {prompt_short} — {resolution}, {duration}s · job {job_id}",
    "delivered.animate_untitled": "Animate",
})

EN.update({
    # -- slack: "Edit with Wan" / "Animate with Wan" message shortcuts and the Animate button (issue 12, i12-slack) --
    # (the three below are reasons, read as "That request doesn't work: <reason>.")
    "slack.shortcut.no_images": "that message has no image files; Wan edits and animates JPEG, PNG, BMP or WEBP "
    "images posted in Slack",
    "slack.shortcut.not_images": "none of that message's files is an image Wan can read (JPEG, PNG, BMP or WEBP)",
    "slack.shortcut.gone": "a file on that message is no longer in Slack (deleted, or the bot can't see it)",
    "slack.shortcut.stale": "This form isn't yours or is no longer valid; use the shortcut on the message again.",
    "slack.edit.title": "Edit with Wan",
    "slack.edit.images": "Editing {names} ({n} of {total} image(s); Wan takes up to 9, and the result follows the "
    "last one's shape).",
    "slack.edit.prompt": "What should change?",
    "slack.edit.placeholder": "make it a watercolour painting, keep the lighthouse",
    "slack.edit.submit": "Edit",
    "slack.animate.title": "Animate with Wan",
    "slack.animate.first_frame": "The video starts from {names}.",
    "slack.animate.from_job": "The video starts from job {job_id}'s image.",
    "slack.animate.prompt": "What should happen? (optional)",
    "slack.animate.placeholder": "the waves start rolling, the camera slowly pulls back",
    "slack.animate.submit": "Animate",
    # -- discord: editing and animating images (issue 12, helper i12-discord) --
    # (replace the earlier texts: /wan image now also edits the images attached to it; /wan animate and
    # the message menus are new)
    "discord.cmd.image": "Make images from a text prompt, or edit the images you attach",
    "help.options": "**/wan video** `prompt` — a video; options: model, resolution, ratio, duration, negative, seed, "
    "prompt_extend, watermark, shot_type, audio, variants (2–4 seeds or ratio, side by side)\n"
    "**/wan storyboard** — up to five shots in one video\n"
    "**/wan image** `prompt` — images; options: model, size, n, seed, watermark, thinking_mode; attach up to "
    "9 images (image … image9) to edit them\n"
    "**/wan animate** — a video from an image: image (or job), last_frame, audio, prompt, negative, "
    "resolution, duration, seed, prompt_extend, watermark\n"
    "**/wan status** `[job]` · **/wan cancel** `[job]` · **/wan usage** · **/wan help**\n"
    "**/wan history** `[user] [text]` — this channel's past results · **/wan settings** — this channel's "
    "settings (price confirmations, approvals, threads)\n"
    "On any message with images (Apps menu): **Edit with Wan**, **Animate with Wan**.\n"
    "On a status message: **Cancel** while queued, then **Re-roll** (new seed), **Remix** (edit the prompt), "
    "**1080P** (same seed, sharper), **Animate** (an image result) and **Delete**.",
    "discord.cmd.edit_image": "An image to edit instead (up to 9; the result takes the last one's shape)",
    "discord.cmd.edit_image_more": "Another image to edit",
    "discord.cmd.animate": "Animate an image into a video (wan2.7-i2v)",
    "discord.cmd.first_frame": "The image the video starts from",
    "discord.cmd.last_frame": "An image the video ends on",
    "discord.cmd.driving_audio": "A WAV or MP3 (2–30 s) the video moves to",
    "discord.cmd.animate_prompt": "What happens in the video (optional)",
    "discord.cmd.animate_job": "Or: the job id of one of your image results, to animate its first image",
    "discord.cmd.animate_duration": "Length in seconds, 2–15 (default 5)",
    "discord.menu.edit": "Edit with Wan",
    "discord.menu.animate": "Animate with Wan",
    "discord.menu.no_images": "That message has no image to work from; use this on a message with an image "
    "attached.",
    "discord.edit.title": "Edit with Wan ({count} image(s))",
    "discord.edit.prompt": "What to change",
    "discord.edit.placeholder": "make the sky stormy, keep everything else as it is",
    "discord.animate.title": "Animate with Wan",
    "discord.animate.prompt": "What happens (optional)",
    "discord.animate.placeholder": "the camera slowly pushes in as the waves roll",
})

# -- per-channel settings (core.channel_settings) --
EN.update({
    "setting.threads": "Open a thread for each new idea, where its re-rolls, remixes and variants go",
})

# -- issue 13: archive and history --
EN.update({
    "history.title": "📚 This channel's latest results{filters}, newest first:",
    "history.none": "📚 Nothing delivered in this channel{filters} yet.",
    "history.filter_user": " by {user}",
    "history.filter_text": " matching “{text}”",
    "history.entry": "{job_id} · {when} · {who}\n“{prompt}”\n{settings} · seed {seed} · {cost} · 👍 {votes}",
    "history.video_settings": "{model} · {resolution} · {ratio} · {duration} s",
    "history.image_settings": "{model} · {size} · {n} image(s)",
    "history.ratio_from_image": "image's shape",
    "history.cost": "¥{cost}",
    "history.cost_unknown": "cost unknown",
    "history.no_link": "(no link: the result is not archived and its message is gone)",
    "history.open": "Open",
    "history.reuse": "Use these settings",
    "history.unavailable": "History is not available on this wanbot.",
    "history.bad_user": "/wan history takes at most one person (a mention) and then the words to look for.",
    "history.help": "/wan history [@user] [text] — this channel's past results, with a link and Use these settings",
    "discord.cmd.history": "This channel's past results (newest first), with links and Use these settings",
    "discord.cmd.history_user": "Only results by this person",
    "discord.cmd.history_text": "Only results whose prompt contains these words",
    "slack.button.reuse": "Use these settings",
    "history.console_reuse": "Use these settings: remix <job> <new prompt> (the job's model, resolution, ratio "
    "and length, a new seed).",
})

# -- issue 13: threads per idea and variants (core.ideas, core.variants) --
EN.update({
    "field.lineage": "From",
    "lineage.reroll": "Re-roll of #{parent}",
    "lineage.remix": "Remix of #{parent}",
    "lineage.upscale": "1080P of #{parent}",
    "lineage.animate": "Animation of #{parent}",
    "lineage.continue": "Continues #{parent}",
    "lineage.untitled": "Animation",
    "lineage.in_thread": "Its status is in the idea's thread.",
    "field.variant": "Variant",
    "variants.label.seed": "Variant {number} · seed {seed}",
    "variants.label.ratio": "Variant {ratio}",
    "discord.cmd.variants": "Render several at once: 2–4 seeds, or across ratios",
    "discord.variants.seeds": "{count} seeds",
    "discord.variants.ratio": "across ratios (16:9, 9:16, 1:1…)",
    "variants.no_audio": "Variants cannot share an attached sound track; give it as audio_url instead.",
    "variants.started": "Rendering {count} variants as jobs {job_ids}; they are in the idea's thread.",
    "variants.bad": "--variants takes a number from 2 to 4, or ratio; not {value}.",
    "variants.ratio_unsupported": "{model} has only one shape; --variants ratio needs a text-to-video model.",
    "variants.seed_given": "--variants {count} renders {count} different seeds; leave out --seed.",
})
# -- issue 13: spend that asks first --
EN.update({
    "setting.confirm_over": "Ask the requester to confirm a job estimated over this many yuan (off: never ask)",
    "setting.approve_over": "Jobs estimated over this many yuan wait for an approver's Approve (off: never)",
    "setting.approver_role": "Who approves: a Discord role (id or mention), Slack user ids; admins = channel admins",
    "settings.title": "Settings in this channel:",
    "settings.cmd": "Show this channel's settings, or set one (admins)",
    "settings.cmd.name": "The setting to change",
    "settings.cmd.value": "Its new value (e.g. 15, off, on, a role)",
    "settings.row": "{name} = {value} — {help}",
    "settings.saved": "Saved: {name} = {value}.",
    "settings.denied": "Only this channel's admins may change its settings.",
    "settings.value.off": "off",
    "settings.value.on": "on",
    "settings.value.admins": "admins",
    "spend.ask": "This will cost about ¥{total} ({summary}). Start it?",
    "spend.ask.typed": "This will cost about ¥{total} ({summary}). Type `confirm {ask_id}` to start it.",
    "spend.summary.video": "{resolution}, {seconds} s",
    "spend.summary.image": "{n} image(s)",
    "spend.summary.many": "{count} jobs",
    "spend.button.confirm": "Confirm",
    "spend.button.dismiss": "Cancel",
    "spend.button.approve": "✅ Approve",
    "spend.button.decline": "Decline",
    "spend.approval": "{who} asks to spend about ¥{total} ({summary}): waiting for an approver.",
    "spend.approval.typed": "{who} asks to spend about ¥{total} ({summary}): an approver types `approve {ask_id}` "
    "or `decline {ask_id}`.",
    "spend.approval.sent": "This costs about ¥{total}, over this channel's approval limit: an approver has been asked.",
    "spend.not_found": "There is no pending confirmation {ask_id} here.",
    "spend.not_yours": "Only the person who asked can confirm or cancel this.",
    "spend.not_approver": "Only this channel's approvers can approve or decline this.",
    "spend.expired": "This confirmation expired; ask again if you still want it.",
    "spend.already.started": "This was already started (job {job_ids}).",
    "spend.already.cancelled": "This was cancelled; nothing was started.",
    "spend.already.declined": "This was declined; nothing was started.",
    "spend.already.refused": "This was not started: a limit refused it when it was confirmed.",
    "spend.dismissed": "Cancelled; nothing was started or spent.",
    "spend.declined": "Declined; nothing was started.",
    "spend.declined.notice": "{mention} your request (about ¥{total}, {summary}) was declined by {by}.",
    "spend.approved.notice": "Approved by {by}: starting job {job_ids}.",
    "alert.budget": "{mention} {whose} {period} budget is at {percent}%: {used} of {limit} used.",
    "alert.whose.user": "{name}'s",
    "alert.whose.workspace": "the workspace's",
    "alert.budget.admins": "Budget alert: {whose} {period} budget at {percent}% ({used} of {limit}) "
    "after job {job_id}.",
    "admin.incident": "wanbot can't start videos: DashScope answered {code} for job {job_id} "
    "(request_id {request_id}): {detail}",
    "error.operator": "wanbot can't start videos right now; the admins have been told.",
})
# What the requester reads for an operator's problem (core.admin_route): no key or billing detail.
EN.update({f"error.{code}": EN["error.operator"] for code in (
    "Arrearage", "InvalidApiKey", "AccessDenied", "AccessDenied.Unpurchased", "Model.AccessDenied",
    "Workspace.AccessDenied")})

# -- a variants batch over the per-user cap (issue 13): say what is running, not "you already have 3" --
EN.update({
    "cap.batch": "{wanted} variants need {wanted} places at once, and the limit is {cap} jobs in progress "
    "per person. Ask for at most {cap}.",
    "cap.batch.busy": "{wanted} variants need {wanted} free places, and only {free} of your {cap} are free "
    "right now. Wait for a job to finish, or ask for fewer variants.",
    "spend.already.started.many": "This was already started (jobs {job_ids}).",
    # Slack: @wanbot <command> (adapters.slack.mentions), the way to continue an idea inside its thread
    "slack.mention.storyboard": "A mention can't open the storyboard form: type the shots after it, separated "
    "by |, e.g. storyboard a fox wakes up | it runs into the snow",
})

# -- issue 14 item 7: options completed from the catalogue for the chosen model (core.suggest) --
EN.update({
    "suggest.seconds": "{seconds} s",
    "help.models": "What each model takes (--model):",
    "help.model.video": "  {model}: {resolutions}; {durations} s",
    "help.model.animate": "  {model} (/wan animate): {resolutions}; {durations} s",
    "help.model.image": "  {model} (/wan image): {sizes}",
})

# -- issue 13: votes and winners (core.votes, core.actions.votes) --
EN.update({
    "setting.vote_emoji": "The reaction that is a vote on a result (unset: WANBOT_VOTE_EMOJI, 👍; off: no votes)",
    "top.title.today": "🏆 Today's most-voted results in this channel:",
    "top.title.week": "🏆 This week's most-voted results in this channel:",
    "top.title.all": "🏆 The most-voted results in this channel:",
    "top.none.today": "🏆 No votes on today's results here yet. React {emoji} on a result to vote for it.",
    "top.none.week": "🏆 No votes on this week's results here yet. React {emoji} on a result to vote for it.",
    "top.none.all": "🏆 No votes on any result here yet. React {emoji} on a result to vote for it.",
    "top.entry": "{rank}. {job_id} · {votes} vote(s) · by {who}\n“{prompt}”\n{settings} · seed {seed}",
    "top.no_link": "(no link)",
    "top.promote": "Promote",
    "top.promote.typed": "Type `promote {job_id}` to render it again at 1080P.",
    "top.unavailable": "Votes are not kept on this wanbot.",
    "top.cmd": "This channel's most-voted results (react to vote), with Promote to 1080P",
    "top.cmd.window": "Which results: today's, this week's (the default) or all of them",
    "promote.not_delivered": "Job {job_id} has no result to promote yet.",
    "promote.already_1080p": "Job {job_id} is already 1080P; Re-roll it for another take.",
    "action.promoted": "Promoting job {job_id} to 1080P with the same seed as job {new_job_id}.",
})

# Issue 14, people named and pinged right (core.people): "requested by", the requester's one ping, opt-out.
EN.update({
    "people.requested_by": "Requested by",
    "people.caption_by": "requested by {who}",
    "people.ready.video": "{who} your video is ready: {link}",
    "people.ready.image": "{who} your images are ready: {link}",
    "people.no_link": "job {job_id}",
    "people.failed": "{who} your job {job_id} did not finish: {reason}",
    "people.notify.on": "You'll be pinged when your videos and images are done or fail.",
    "people.notify.off": "You won't be pinged when your jobs finish; status messages still name you. "
    "`/wan notify on` turns pings back on.",
    "people.notify.is_on": "You're pinged when your jobs finish. `/wan notify off` stops that.",
    "people.notify.is_off": "You're not pinged when your jobs finish. `/wan notify on` turns pings back on.",
    "people.notify.console": "The console pings nobody: there is nothing to turn on or off here.",
    "people.notify.unavailable": "Ping preferences aren't available here.",
    "discord.cmd.notify": "Be pinged (on) or not (off) when your jobs finish",
    "discord.cmd.notify_choice": "on: ping me when my jobs finish; off: just name me",
})

# Issue 14: the console's line editor, bare prompts on a real key, and its y/N before spending.
EN.update({
    "console.welcome": "wanbot console — type a prompt (it becomes a video), or help. Ctrl-D finishes once your "
                       "jobs are done; Ctrl-C quits at once.",
    "console.welcome.paid": "wanbot console on your DashScope key — type video <prompt>, or help; every job shows "
                            "its price and asks first. Ctrl-D finishes once your jobs are done; Ctrl-C quits at once.",
    "console.not_command": "That is not a command, and videos are billed on this key: type `video <your prompt>` "
                           "to make one.",
    "console.confirm.prompt": "[y/N] ",
    "console.field": "{name}: {value}",
    "console.interrupted": "Stopped. Unfinished jobs stay stored and carry on at the next start.",
})

EN.update({
    # -- zh-CN (issue 14, item 6): sentences that were literals in code, so they can be translated --
    # the parsers' and the request checks' refusals (core.flags, core.commands, core.request)
    "input.unknown_command": "unknown command {command}; try video, image, animate, storyboard, status, cancel, "
    "reroll, remix, upscale, delete, usage, defaults, history, settings, top, notify or help",
    "input.unknown_option": "unknown option --{name}; options are: {known}",
    "input.no_option_name": "{token} has no option name; options are: {known}",
    "input.takes_no_value": "--{name} takes no value",
    "input.needs_value": "--{name} needs a value ({hint})",
    "input.seed": "--seed must be a whole number from 0 to {most}",
    "request.unknown_model": "unknown model {model}; choose one of: {known}",
    "request.prompt_long": "the prompt is {length} characters; {model} takes at most {most}",
    "request.negative_long": "the negative prompt is {length} characters; at most {most}",
    "request.resolution": "resolution must be {options} for {model}",
    "request.ratio": "ratio must be {options}",
    "request.no_audio": "{model} cannot take an audio track",
    "request.audio_link": "audio must be an http(s) link to a WAV or MP3 file",
    "list.or": "{items} or {last}",
    # the typed commands at a glance (/wan help on Slack and the console; core.commands.HELP_TEXT)
    "help.text": """\
/wan video <prompt> [--ratio 16:9|9:16|1:1|4:3|3:4] [--duration 2-15] [--resolution 720P|1080P]
                    [--seed N] [--negative "..."] [--no-extend] [--watermark] [--model ...]
                    [--variants 2-4|ratio]   several seeds (or ratios) side by side in one thread
/wan image <prompt> [--size 1K|2K|4K] [--n 1-4] [--seed N] [--model wan2.7-image|wan2.7-image-pro]
/wan image <prompt> --image <link> [--image <link> …]   edit 1–9 images (1K or 2K)
/wan animate [prompt] --first <link> [--last <link>] [--audio <link>] [--resolution 720P|1080P]
                    [--duration 2-15] [--seed N]   or  /wan animate [prompt] --from <image job>
/wan storyboard <shot 1> | <shot 2> | … [--duration N] [--ratio …] [--resolution …] [--seed N]
                    up to five shots in one video, sharing its length
/wan status [job]   /wan cancel [job]   /wan usage   /wan help
/wan reroll <job>   /wan upscale <job>   /wan remix <job> <new prompt>   /wan delete <job>
/wan defaults [--model ...] [--resolution ...] [--ratio ...] [--duration N] [--no-extend] [--watermark]
              [--negative "..."]   this channel's defaults for every video (admins set; --clear removes)
/wan history [@user] [text]   this channel's past results, with links and Use these settings
/wan settings [name value]   this channel's settings: confirm_over, approve_over, approver_role, threads, vote_emoji
/wan confirm <id>   /wan dismiss <id>   /wan approve <id>   /wan decline <id>   answer a price or an approval
/wan top [today|week|all]   this channel's most-voted results (react 👍 to vote), each with Promote (1080P)
/wan notify on|off   be pinged when your jobs finish, or only named (on by default)
Midjourney-style flags work too: --ar 9:16, --no "text to avoid".""",
})

EN.update({
    # -- zh-CN, the rest (issue 14, item 6): the last refusals that were English literals in core code --
    # core.flags: a value that is not a number, and the hints "--x needs a value (…)" shows
    "input.must_be": "--{flag} must be {what}, not {value}",
    "input.whole_seconds": "a whole number of seconds",
    "input.whole_1_to_4": "a whole number from 1 to 4",
    "input.hint.seconds": "seconds, e.g. 5",
    "input.hint.seed": "0 to {most}",
    "input.hint.negative": "text to avoid",
    "input.hint.audio": "https link to a WAV/MP3",
    "input.hint.variants": "2 to 4 | ratio",
    "input.hint.n": "1 to 4",
    "input.hint.first": "link to the first frame (JPEG, PNG, BMP or WEBP)",
    "input.hint.last": "link to the last frame",
    "input.hint.driving_audio": "link to a WAV/MP3 to drive the video",
    "input.hint.from": "the id of an image job to animate",
    "input.what.id": "the id",
    "input.what.job_id": "the job id",
    # core.request and core.request_base
    "request.duration_whole": "duration must be a whole number of seconds",
    "request.duration": "duration must be a whole number of seconds {allowed} for {model}",
    "request.durations.range": "from {low} to {high}",
    "request.shot_type": "shot_type for {model}: {allowed}",
    "request.shot_type_unsupported": "shot_type for {model}: not supported",
    "request.audio_driving": "{model} takes its audio as driving audio, not audio_url",
    "request.seed_range": "seed must be a whole number from 0 to {most}",
    "request.unknown_field": "unknown option {name}",
    "request.not_whole": "{name} must be a whole number",
    "request.not_yes_no": "{name} must be yes or no",
    "request.required": "{name} is required",
    # core.image_request
    "image.unknown_model": "unknown image model {model}; choose {known}",
    "image.prompt_empty": "the prompt is empty: describe the image you want",
    "image.size": "size must be {options} for {model}",
    "image.n": "n must be a whole number from 1 to {most}",
    # core.channel_settings, core.spend_commands, core.votes (/wan settings, confirm …, top, promote)
    "settings.unknown": "{name} is not a channel setting; the settings are {known}",
    "settings.takes": "{setting} takes {expected}, not {text}",
    "settings.expect.on_off": "on or off",
    "settings.expect.yuan": "an amount in yuan (e.g. 15) or off",
    "settings.expect.ids": "a role id or mention (Discord), user ids (Slack), or admins",
    "settings.expect.emoji": "one emoji (e.g. 👍 or :fire:) or off",
    "settings.needs_value": "/wan settings {name} needs a value (or type /wan settings to see them all)",
    "spend.one_id": "/wan {verb} takes one id (it is in the message that asked)",
    "top.bad_window": "/wan top takes today, week or all, not {word}",
    "top.one_word": "/wan top takes at most one word: today, week or all",
    "promote.one_id": "/wan promote takes one job id (it is in /wan top)",
    # core.notify_command, core.media_commands, core.variants
    "notify.bad": "/wan notify takes on or off, not {words}",
    "media.needs_link": "--{name} needs a value (a link to an image)",
    "variants.nothing": "nothing",
    # core.commands: job ids and /wan defaults
    "job.at_most_one_id": "/wan {verb} takes at most one job id",
    "job.needs_id": "/wan {verb} needs a job id (it is on the status message)",
    "job.one_id": "/wan {verb} takes one job id",
    "job.remix_needs": "/wan remix needs the job id and the new prompt",
    "defaults.no_prompt": "/wan defaults takes only options, not a prompt ({words}); "
    "try /wan defaults --resolution 1080P",
    "defaults.clear_alone": "--clear cannot be combined with other options",
    "defaults.not_allowed": "{flag} cannot be a channel default; defaults can set {allowed}",
})

from core.messages_zh import ZH  # noqa: E402  (a plain dict; imported here so CATALOGUES names both languages)

CATALOGUES: dict[str, dict[str, str]] = {EN_LOCALE: EN, ZH_CN: ZH}


class Messages:
    """Formats catalogue texts, falling back to English key by key.

    ``locale`` is this instance's own language (the deployment's ``WANBOT_LOCALE`` for the one the runtime
    builds); while a request is answered, the request's locale (``core.locale.current``) wins, so every
    instance — module-level ones too — speaks to each person in their language. ``pinned=True`` makes one
    that speaks its locale whatever the request (what is said about a job, in the job's locale).
    """

    def __init__(self, locale: str = EN_LOCALE, *, pinned: bool = False) -> None:
        self.locale = locale if locale in CATALOGUES else pick(locale)
        self._pinned = pinned

    @property
    def speaks(self) -> str:
        """The locale this call would be answered in."""
        return self.locale if self._pinned else (current() or self.locale)

    @property
    def _table(self) -> dict[str, str]:
        return CATALOGUES.get(self.speaks, EN)

    def __call__(self, key: str, **fields: Any) -> str:
        template = self._table.get(key) or EN.get(key)
        if template is None:
            raise KeyError(f"no message {key!r}")
        return template.format(**fields)

    def has(self, key: str) -> bool:
        return key in self._table or key in EN

    def explain(self, code: str | None, fallback: str | None = None) -> str:
        """A short explanation of a DashScope error code for a chat user."""
        if code and self.has(f"error.{code}"):
            return self(f"error.{code}")
        return fallback or self("error.Unknown")


def human_duration(seconds: float) -> str:
    """``42s``, ``3m 05s``, ``1h 02m``: elapsed time as people read it."""
    total = int(round(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def human_bytes(size: int) -> str:
    """``9.5 MB``-style sizes (MiB under the hood, labelled the way platforms label limits)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
