/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-keymap"

#include "hangar-keymap.h"

#include <linux/input-event-codes.h>

/* Set-1 make codes of the keys past KEY_KPDOT, by evdev code; E0-prefixed
 * codes are written 0x80 | code, as QEMU's qnum has them. The PC/AT
 * keyboard sends these for the keys Linux's atkbd driver turns into the
 * same evdev codes, so a Linux guest gets back the key the host saw. Keys
 * a PC keyboard cannot send are left out (0). */
static const guint16 evdev_high[] = {
  [KEY_ZENKAKUHANKAKU]  = 0x76,
  [KEY_102ND]           = 0x56,
  [KEY_F11]             = 0x57,
  [KEY_F12]             = 0x58,
  [KEY_RO]              = 0x73,
  [KEY_KATAKANA]        = 0x78,
  [KEY_HIRAGANA]        = 0x77,
  [KEY_HENKAN]          = 0x79,
  [KEY_KATAKANAHIRAGANA] = 0x70,
  [KEY_MUHENKAN]        = 0x7b,
  [KEY_KPJPCOMMA]       = 0x5c,
  [KEY_KPENTER]         = 0x80 | 0x1c,
  [KEY_RIGHTCTRL]       = 0x80 | 0x1d,
  [KEY_KPSLASH]         = 0x80 | 0x35,
  /* Print Screen: QEMU's PS/2 keyboard turns its SysRq code into the
   * E0 2A E0 37 sequence (or 0x54 with Alt held), as a real one does. */
  [KEY_SYSRQ]           = 0x54,
  [KEY_RIGHTALT]        = 0x80 | 0x38,
  [KEY_LINEFEED]        = 0x5b,
  [KEY_HOME]            = 0x80 | 0x47,
  [KEY_UP]              = 0x80 | 0x48,
  [KEY_PAGEUP]          = 0x80 | 0x49,
  [KEY_LEFT]            = 0x80 | 0x4b,
  [KEY_RIGHT]           = 0x80 | 0x4d,
  [KEY_END]             = 0x80 | 0x4f,
  [KEY_DOWN]            = 0x80 | 0x50,
  [KEY_PAGEDOWN]        = 0x80 | 0x51,
  [KEY_INSERT]          = 0x80 | 0x52,
  [KEY_DELETE]          = 0x80 | 0x53,
  [KEY_MACRO]           = 0x80 | 0x6f,
  [KEY_MUTE]            = 0x80 | 0x20,
  [KEY_VOLUMEDOWN]      = 0x80 | 0x2e,
  [KEY_VOLUMEUP]        = 0x80 | 0x30,
  [KEY_POWER]           = 0x80 | 0x5e,
  [KEY_KPEQUAL]         = 0x59,
  [KEY_KPPLUSMINUS]     = 0x80 | 0x4e,
  /* Pause is E1 1D 45 on the wire; QEMU names it E0 46 (Ctrl+Break). */
  [KEY_PAUSE]           = 0x80 | 0x46,
  [KEY_SCALE]           = 0x80 | 0x0b,
  [KEY_KPCOMMA]         = 0x7e,
  [KEY_HANGEUL]         = 0x72,
  [KEY_HANJA]           = 0x71,
  [KEY_YEN]             = 0x7d,
  [KEY_LEFTMETA]        = 0x80 | 0x5b,
  [KEY_RIGHTMETA]       = 0x80 | 0x5c,
  [KEY_COMPOSE]         = 0x80 | 0x5d,
  [KEY_STOP]            = 0x80 | 0x68,
  [KEY_AGAIN]           = 0x80 | 0x05,
  [KEY_PROPS]           = 0x80 | 0x06,
  [KEY_UNDO]            = 0x80 | 0x07,
  [KEY_FRONT]           = 0x80 | 0x0c,
  [KEY_COPY]            = 0x80 | 0x78,
  [KEY_OPEN]            = 0x64,
  [KEY_PASTE]           = 0x65,
  [KEY_FIND]            = 0x80 | 0x41,
  [KEY_CUT]             = 0x80 | 0x3c,
  [KEY_HELP]            = 0x80 | 0x75,
  [KEY_MENU]            = 0x80 | 0x1e,
  [KEY_CALC]            = 0x80 | 0x21,
  [KEY_SETUP]           = 0x66,
  [KEY_SLEEP]           = 0x80 | 0x5f,
  [KEY_WAKEUP]          = 0x80 | 0x63,
  [KEY_FILE]            = 0x67,
  [KEY_SENDFILE]        = 0x68,
  [KEY_DELETEFILE]      = 0x69,
  [KEY_XFER]            = 0x80 | 0x13,
  [KEY_PROG1]           = 0x80 | 0x1f,
  [KEY_PROG2]           = 0x80 | 0x17,
  [KEY_WWW]             = 0x80 | 0x02,
  [KEY_MSDOS]           = 0x6a,
  [KEY_SCREENLOCK]      = 0x80 | 0x12,
  [KEY_DIRECTION]       = 0x6b,
  [KEY_CYCLEWINDOWS]    = 0x80 | 0x26,
  [KEY_MAIL]            = 0x80 | 0x6c,
  [KEY_BOOKMARKS]       = 0x80 | 0x66,
  [KEY_COMPUTER]        = 0x80 | 0x6b,
  [KEY_BACK]            = 0x80 | 0x6a,
  [KEY_FORWARD]         = 0x80 | 0x69,
  [KEY_CLOSECD]         = 0x80 | 0x23,
  [KEY_EJECTCD]         = 0x6c,
  [KEY_EJECTCLOSECD]    = 0x80 | 0x7d,
  [KEY_NEXTSONG]        = 0x80 | 0x19,
  [KEY_PLAYPAUSE]       = 0x80 | 0x22,
  [KEY_PREVIOUSSONG]    = 0x80 | 0x10,
  [KEY_STOPCD]          = 0x80 | 0x24,
  [KEY_RECORD]          = 0x80 | 0x31,
  [KEY_REWIND]          = 0x80 | 0x18,
  [KEY_PHONE]           = 0x63,
  [KEY_CONFIG]          = 0x80 | 0x01,
  [KEY_HOMEPAGE]        = 0x80 | 0x32,
  [KEY_REFRESH]         = 0x80 | 0x67,
  [KEY_EDIT]            = 0x80 | 0x08,
  [KEY_SCROLLUP]        = 0x75,
  [KEY_SCROLLDOWN]      = 0x80 | 0x0f,
  [KEY_KPLEFTPAREN]     = 0x80 | 0x76,
  [KEY_KPRIGHTPAREN]    = 0x80 | 0x7b,
  [KEY_NEW]             = 0x80 | 0x09,
  [KEY_REDO]            = 0x80 | 0x0a,
  [KEY_F13]             = 0x5d,
  [KEY_F14]             = 0x5e,
  [KEY_F15]             = 0x5f,
  [KEY_F16]             = 0x55,
  [KEY_F17]             = 0x80 | 0x03,
  [KEY_F18]             = 0x80 | 0x77,
  [KEY_F19]             = 0x80 | 0x04,
  [KEY_F20]             = 0x5a,
  [KEY_F21]             = 0x74,
  [KEY_F22]             = 0x80 | 0x79,
  [KEY_F23]             = 0x6d,
  [KEY_F24]             = 0x6f,
  [KEY_PLAYCD]          = 0x80 | 0x28,
  [KEY_PAUSECD]         = 0x80 | 0x29,
  [KEY_PROG3]           = 0x80 | 0x2b,
  [KEY_PROG4]           = 0x80 | 0x2c,
  [KEY_DASHBOARD]       = 0x80 | 0x2d,
  [KEY_SUSPEND]         = 0x80 | 0x25,
  [KEY_CLOSE]           = 0x80 | 0x2f,
  [KEY_PLAY]            = 0x80 | 0x33,
  [KEY_FASTFORWARD]     = 0x80 | 0x34,
  [KEY_BASSBOOST]       = 0x80 | 0x36,
  [KEY_PRINT]           = 0x80 | 0x39,
  [KEY_HP]              = 0x80 | 0x3a,
  [KEY_CAMERA]          = 0x80 | 0x3b,
  [KEY_SOUND]           = 0x80 | 0x3d,
  [KEY_QUESTION]        = 0x80 | 0x3e,
  [KEY_EMAIL]           = 0x80 | 0x3f,
  [KEY_CHAT]            = 0x80 | 0x40,
  [KEY_SEARCH]          = 0x80 | 0x65,
  [KEY_CONNECT]         = 0x80 | 0x42,
  [KEY_FINANCE]         = 0x80 | 0x43,
  [KEY_SPORT]           = 0x80 | 0x44,
  [KEY_SHOP]            = 0x80 | 0x45,
  [KEY_ALTERASE]        = 0x80 | 0x14,
  [KEY_CANCEL]          = 0x80 | 0x4a,
  [KEY_BRIGHTNESSDOWN]  = 0x80 | 0x4c,
  [KEY_BRIGHTNESSUP]    = 0x80 | 0x54,
  [KEY_MEDIA]           = 0x80 | 0x6d,
  [KEY_SWITCHVIDEOMODE] = 0x80 | 0x56,
  [KEY_KBDILLUMTOGGLE]  = 0x80 | 0x57,
  [KEY_KBDILLUMDOWN]    = 0x80 | 0x58,
  [KEY_KBDILLUMUP]      = 0x80 | 0x59,
  [KEY_SEND]            = 0x80 | 0x5a,
  [KEY_REPLY]           = 0x80 | 0x64,
  [KEY_FORWARDMAIL]     = 0x80 | 0x0e,
  [KEY_SAVE]            = 0x80 | 0x55,
  [KEY_DOCUMENTS]       = 0x80 | 0x70,
  [KEY_BATTERY]         = 0x80 | 0x71,
  [KEY_BLUETOOTH]       = 0x80 | 0x72,
  [KEY_WLAN]            = 0x80 | 0x73,
  [KEY_UWB]             = 0x80 | 0x74,
};

guint16
hangar_keymap_evdev_to_qnum (guint evdev_code)
{
  /* The main block of a PC keyboard: evdev numbered these keys by their
   * set-1 codes. */
  if (evdev_code >= KEY_ESC && evdev_code <= KEY_KPDOT)
    return (guint16) evdev_code;
  if (evdev_code < G_N_ELEMENTS (evdev_high))
    return evdev_high[evdev_code];
  return 0;
}

guint16
hangar_keymap_keycode_to_qnum (guint keycode)
{
  if (keycode < 8)
    return 0;
  return hangar_keymap_evdev_to_qnum (keycode - 8);
}

guint
hangar_keymap_qnum_to_evdev (guint16 qnum)
{
  if (qnum >= KEY_ESC && qnum <= KEY_KPDOT)
    return qnum;
  for (guint i = KEY_KPDOT + 1; i < G_N_ELEMENTS (evdev_high); i++)
    if (evdev_high[i] == qnum)
      return i;
  return 0;
}
