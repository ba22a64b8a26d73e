#!/usr/bin/python3
# An IP camera for tests: GStreamer's ONVIF RTSP server with H.264 (x264enc) video, PCMA audio (or PCMU, or AAC
# from voaacenc as RTP MPEG4-GENERIC), an ONVIF audio backchannel (RTSP "Require: www.onvif.org/ver20/backchannel",
# PCMA or PCMU) and RTSP digest authentication.
#
#   /usr/bin/python3 test/helpers/rtsp-camera-server.py --user admin --password secret [--port 0] [--gop 2]
#       [--audio pcma|pcmu|aac] [--backchannel-law pcma|pcmu]
#
# Run with Debian's python3 (it has the gi bindings). Prints one JSON line per event on stdout:
#   {"event": "listening", "port": 8554, "path": "/camera"}      once, when it accepts connections
#   {"event": "client-connected"} / {"event": "client-closed"}   RTSP connections
#   {"event": "backchannel", "buffers": n, "bytes": b, "rms": r, "quiet": q}  talk-back audio arriving (every 25
#       buffers): its loudness, and the share of near-silent samples (|s| < 100) it has
#
# --honour-keyframe-requests: a line "keyframe" on stdin (what the test ONVIF device service writes when it gets
# SetSynchronizationPoint) makes x264enc code its next frame as an IDR, as a camera that honours the request does:
# a GstForceKeyUnit upstream event on the encoder's source pad. Without it the line is counted and ignored.
#   {"event": "keyframe-request", "honoured": true|false}        each such line
#
# --always-on models a camera whose encoder runs whether or not anybody pulls (most real cameras): the media
# is shared and kept playing by an internal client, so a new RTSP session joins mid-GOP. Shared media cannot
# carry a backchannel (GStreamer answers DESCRIBE with 400), so that mode has none.
import argparse
import json
import math
import os
import struct
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer, GstVideo  # noqa: E402

MOUNT = "/camera"


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="camera")
    parser.add_argument("--gop", type=float, default=2.0, help="seconds between keyframes")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--bitrate", type=int, default=2000, help="kbit/s")
    parser.add_argument("--no-audio", action="store_true")
    parser.add_argument("--audio", choices=["pcma", "pcmu", "aac"], default="pcma")
    parser.add_argument("--backchannel-law", choices=["pcma", "pcmu"], default="pcma")
    parser.add_argument("--no-backchannel", action="store_true")
    parser.add_argument("--always-on", action="store_true")
    parser.add_argument("--honour-keyframe-requests", action="store_true")
    return parser.parse_args()


def launch_line(args):
    # A test pattern compresses to almost nothing: constant bitrate with filler NAL units (which decoders skip)
    # makes the stream as big as a real camera's at --bitrate, so the bridge handles as many packets as it would.
    key_int = max(1, round(args.gop * args.fps))
    video = (
        f"videotestsrc is-live=true pattern=ball ! video/x-raw,width={args.width},height={args.height},"
        f"framerate={args.fps}/1 ! "
        f"x264enc name=encoder tune=zerolatency speed-preset=ultrafast bitrate={args.bitrate} key-int-max={key_int} "
        "bframes=0 pass=cbr option-string=nal-hrd=cbr:filler=1 ! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 config-interval=-1"
    )
    return f"( {video} {'' if args.no_audio else AUDIO[args.audio]} )"


TONE = "audiotestsrc is-live=true wave=sine freq=440 volume=0.3"
AUDIO = {
    "pcma": f"{TONE} ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8",
    "pcmu": f"{TONE} ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1 pt=0",
    # AAC LC, 16 kHz mono, as RFC 3640 AAC-hbr (what most IP cameras that send AAC describe).
    "aac": f"{TONE} ! audio/x-raw,rate=16000,channels=1 ! voaacenc bitrate=32000 ! aacparse ! rtpmp4gpay name=pay1 pt=97",
}


def backchannel_launch(law):
    if law == "pcma":
        payload, name, depay, decoder = 8, "PCMA", "rtppcmadepay", "alawdec"
    else:
        payload, name, depay, decoder = 0, "PCMU", "rtppcmudepay", "mulawdec"
    return (
        f'( capsfilter caps="application/x-rtp, media=audio, payload={payload}, clock-rate=8000, encoding-name={name}" '
        f"name=depay_backchannel ! {depay} ! {decoder} ! fakesink name=backchannel_sink signal-handoffs=true "
        "async=false sync=false )"
    )


class BackchannelMeter:
    """Counts the talk-back audio the camera's speaker would play, and how loud it is (RMS of 16-bit PCM)."""

    def __init__(self):
        self.buffers = 0
        self.bytes = 0
        self.square_sum = 0.0
        self.samples = 0
        self.quiet = 0

    def attach(self, media):
        sink = media.get_element().get_by_name("backchannel_sink")
        if sink is not None:
            sink.connect("handoff", self.on_buffer)

    def on_buffer(self, _sink, buffer, _pad):
        ok, info = buffer.map(Gst.MapFlags.READ)
        if not ok:
            return
        data = bytes(info.data)
        buffer.unmap(info)
        count = len(data) // 2
        for (sample,) in struct.iter_unpack("<h", data[: count * 2]):
            self.square_sum += sample * sample
            if -100 < sample < 100:
                self.quiet += 1
        self.samples += count
        self.buffers += 1
        self.bytes += len(data)
        if self.buffers % 25 == 1:
            rms = math.sqrt(self.square_sum / self.samples) if self.samples else 0.0
            quiet = self.quiet / self.samples if self.samples else 0.0
            emit("backchannel", buffers=self.buffers, bytes=self.bytes, rms=round(rms, 1), quiet=round(quiet, 3))


def make_auth(args, factory):
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "viewer")
    auth.add_digest(args.user, args.password, token)
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("viewer", "media.factory.access", True)
    permissions.add_permission_for_role("viewer", "media.factory.construct", True)
    factory.set_permissions(permissions)
    return auth


class Encoders:
    """The x264enc of each prepared media: where a keyframe request (a line on stdin) goes."""

    def __init__(self, honour):
        self.honour = honour
        self.media = []

    def attach(self, media):
        self.media.append(media)
        media.connect("unprepared", lambda m: self.media.remove(m) if m in self.media else None)

    def force_keyframe(self):
        emit("keyframe-request", honoured=self.honour)
        if not self.honour:
            return
        for media in self.media:
            encoder = media.get_element().get_by_name("encoder")
            if encoder is None:
                continue
            event = GstVideo.video_event_new_upstream_force_key_unit(Gst.CLOCK_TIME_NONE, True, 0)
            encoder.get_static_pad("src").send_event(event)


def read_commands(loop, encoders):
    """stdin: "keyframe" lines; its end (the test runner gone) stops the camera."""
    pending = b""

    def on_input(fd, condition):
        nonlocal pending
        chunk = os.read(fd, 1024) if condition & GLib.IO_IN else b""
        if not chunk:
            loop.quit()
            return False
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip() == b"keyframe":
                encoders.force_keyframe()
        return True

    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, on_input)


def make_factory(args, meter, encoders):
    factory = GstRtspServer.RTSPOnvifMediaFactory()
    factory.set_launch(launch_line(args))
    factory.set_media_gtype(GstRtspServer.RTSPOnvifMedia)
    factory.set_shared(args.always_on)
    factory.connect("media-configure", lambda _f, media: encoders.attach(media))
    if not args.no_backchannel and not args.always_on:
        factory.set_backchannel_launch(backchannel_launch(args.backchannel_law))
        factory.connect("media-configure", lambda _f, media: meter.attach(media))
    return factory


def keep_encoder_running(args, port):
    """The internal client of --always-on: it keeps the shared media playing, as a camera's encoder always runs."""
    location = f"rtsp://127.0.0.1:{port}{MOUNT}"
    pipeline = Gst.parse_launch(
        f'rtspsrc location="{location}" protocols=tcp user-id="{args.user}" user-pw="{args.password}" ! fakesink'
    )
    pipeline.set_state(Gst.State.PLAYING)
    return pipeline


def on_client(_server, client):
    emit("client-connected")
    client.connect("closed", lambda _c: emit("client-closed"))


def main():
    args = parse_args()
    Gst.init(None)
    meter = BackchannelMeter()
    encoders = Encoders(args.honour_keyframe_requests)
    server = GstRtspServer.RTSPOnvifServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = make_factory(args, meter, encoders)
    server.set_auth(make_auth(args, factory))
    server.get_mount_points().add_factory(MOUNT, factory)
    server.connect("client-connected", on_client)
    if server.attach(None) == 0:
        print("could not listen", file=sys.stderr, flush=True)
        sys.exit(1)
    port = server.get_bound_port()
    keeper = keep_encoder_running(args, port) if args.always_on else None
    emit("listening", port=port, path=MOUNT)
    loop = GLib.MainLoop()
    read_commands(loop, encoders)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    if keeper is not None:
        keeper.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
