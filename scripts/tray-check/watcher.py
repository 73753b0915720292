# A minimal StatusNotifierWatcher + host: records registered items, then
# dumps the item's properties and its dbusmenu layout.
import sys, time
import dbus, dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
items = []

class Watcher(dbus.service.Object):
    def __init__(self):
        name = dbus.service.BusName("org.kde.StatusNotifierWatcher", bus)
        super().__init__(name, "/StatusNotifierWatcher")
    @dbus.service.method("org.kde.StatusNotifierWatcher", in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        items.append((sender, service))
        print("registered", sender, service, flush=True)
    @dbus.service.method("org.kde.StatusNotifierWatcher", in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        pass
    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, iface, prop):
        return {"IsStatusNotifierHostRegistered": True, "ProtocolVersion": 0,
                "RegisteredStatusNotifierItems": dbus.Array([i[1] for i in items], signature="s")}[prop]
    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return {"IsStatusNotifierHostRegistered": True, "ProtocolVersion": 0}

w = Watcher()
def dump():
    for sender, service in items:
        path = service if service.startswith("/") else "/StatusNotifierItem"
        obj = bus.get_object(sender, path)
        props = dbus.Interface(obj, dbus.PROPERTIES_IFACE).GetAll("org.kde.StatusNotifierItem")
        pix = props.get("IconPixmap", [])
        import hashlib
        print("item", "Title=%s Status=%s IconPixmap=%s Menu=%s" % (props.get("Title"), props.get("Status"),
              [(int(p[0]), int(p[1]), hashlib.md5(bytes(p[2])).hexdigest()[:8]) for p in pix], props.get("Menu")), flush=True)
        menu = bus.get_object(sender, props["Menu"])
        rev, layout = dbus.Interface(menu, "com.canonical.dbusmenu").GetLayout(0, -1, [])
        def walk(node, depth=0):
            _id, p, children = node
            label = p.get("label", "")
            extra = []
            if p.get("enabled") is not None and not p.get("enabled"): extra.append("disabled")
            if p.get("toggle-state") == 1: extra.append("checked")
            if p.get("type") == "separator": label = "----"
            if depth: print("  " * depth + str(label), " ".join(extra), flush=True)
            for c in children: walk(c, depth + 1)
        walk(layout)
    return False
GLib.timeout_add_seconds(int(sys.argv[1]) if len(sys.argv) > 1 else 8, lambda: (dump(), loop.quit()))
loop = GLib.MainLoop()
loop.run()
