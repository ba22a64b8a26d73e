// The strings of the screens where a password is chosen or a sign-in is managed (join with a password, the
// account screen's phones, 忘记密码, staff helping someone in): loaded with those screens, which are lazy chunks,
// so the family's first download does not carry them. Added to the app's i18n before their first render.
import type { i18n as I18n } from "i18next";
import { useServices } from "../context.ts";

const zhCN = {
  password: {
    rule: "至少 {{min}} 位。不要用 12345678、88888888 这样一猜就中的。",
    weak: {
      "too-short": "密码太短：至少要 {{min}} 位。",
      "one-character": "不能全是同一个数字或字母，比如 88888888。",
      sequence: "不能是连着的数字或字母，比如 12345678、abcdefgh。",
      repeated: "不能是几个字来回重复，比如 12121212。",
      common: "这个密码太常见了，别人一猜就中，请换一个。",
    },
  },
  forgot: {
    title: "忘记密码",
    intro: "输入账号绑定的手机号，获取验证码，然后设一个新密码。",
    submit: "设置新密码并登录",
    noSms: "本服务没有开通短信，收不到验证码。请联系安装员或县服务中心，他们可以帮你设一个新密码。",
    noPhone: "账号没有绑定手机号？请联系安装员或县服务中心帮你设新密码。",
  },
  sessions: {
    title: "登录着的手机和电脑",
    hint: "常用的手机 30 天内用过就一直保持登录。手机丢了或借给了别人，可以在这里让它退出。",
    current: "正在用的这台",
    kind: { android: "安卓手机", iphone: "苹果手机", ipad: "平板电脑", computer: "电脑", unknown: "手机或电脑" },
    inWeChat: "（微信里）",
    lastUsed: "最近使用：{{when}}",
    until: "保持登录到 {{when}}",
    signOut: "让它退出",
    signOutThis: "退出这台",
    signOutOthers: "退出其他所有手机和电脑",
  },
  accounts: {
    help: "帮他登录（手机丢了、忘了密码）",
    signedInOn_one: "现在在 {{count}} 台手机或电脑上登录着。",
    signedInOn_other: "现在在 {{count}} 台手机或电脑上登录着。",
    signOutEverywhere: "让他在所有手机和电脑上退出",
    signedOut_one: "已退出 {{count}} 台。",
    signedOut_other: "已退出 {{count}} 台。",
    newPasswordFor: "给{{name}}设一个新密码",
    setPassword: "设置新密码",
    passwordSet: "已给{{name}}设好新密码，请当面或打电话告诉他。他在各处的登录都已退出。",
  },
};

type Same<T> = { [K in keyof T]: T[K] extends string ? string : Same<T[K]> };

const en: Same<typeof zhCN> = {
  password: {
    rule: "At least {{min}} characters. Not one anyone would guess, like 12345678 or 88888888.",
    weak: {
      "too-short": "Too short: at least {{min}} characters.",
      "one-character": "Not one character over and over, like 88888888.",
      sequence: "Not a run of digits or letters, like 12345678 or abcdefgh.",
      repeated: "Not a few characters repeated, like 12121212.",
      common: "This password is too common; anyone would guess it. Choose another.",
    },
  },
  forgot: {
    title: "Forgot password",
    intro: "Enter your account's mobile number, get a code, then choose a new password.",
    submit: "Set new password and sign in",
    noSms:
      "This service sends no SMS, so no code can reach you. Ask your installer or the county service centre to set a new password for you.",
    noPhone: "No mobile number on your account? Ask your installer or the county service centre to set a new password.",
  },
  sessions: {
    title: "Signed-in phones and computers",
    hint: "A phone you use stays signed in while you use it at least every 30 days. Lost or lent a phone? Sign it out here.",
    current: "the one in use",
    kind: {
      android: "Android phone",
      iphone: "iPhone",
      ipad: "Tablet",
      computer: "Computer",
      unknown: "Phone or computer",
    },
    inWeChat: " (in WeChat)",
    lastUsed: "Last used {{when}}",
    until: "signed in until {{when}}",
    signOut: "Sign it out",
    signOutThis: "Sign out here",
    signOutOthers: "Sign out every other phone and computer",
  },
  accounts: {
    help: "Help them in (lost phone, forgotten password)",
    signedInOn_one: "Signed in on {{count}} phone or computer now.",
    signedInOn_other: "Signed in on {{count}} phones or computers now.",
    signOutEverywhere: "Sign them out everywhere",
    signedOut_one: "{{count}} signed out.",
    signedOut_other: "{{count}} signed out.",
    newPasswordFor: "A new password for {{name}}",
    setPassword: "Set new password",
    passwordSet: "New password set for {{name}}: tell them in person or by phone. They are signed out everywhere.",
  },
};

const added = new WeakSet<I18n>();

/** Adds these strings to the app's translations once; a screen that uses them calls this first. */
export function useAccountStrings(): void {
  const { i18n } = useServices();
  if (added.has(i18n)) return;
  i18n.addResourceBundle("zh-CN", "translation", zhCN, true, false);
  i18n.addResourceBundle("en", "translation", en, true, false);
  added.add(i18n);
}
