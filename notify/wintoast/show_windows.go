package wintoast

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

// combase.dll holds the Windows Runtime's activation and string functions.
// NewLazySystemDLL loads it from System32 only.
var (
	combase                = windows.NewLazySystemDLL("combase.dll")
	procRoInitialize       = combase.NewProc("RoInitialize")
	procRoUninitialize     = combase.NewProc("RoUninitialize")
	procRoActivateInstance = combase.NewProc("RoActivateInstance")
	procRoGetActivationFac = combase.NewProc("RoGetActivationFactory")
	procWindowsCreateStr   = combase.NewProc("WindowsCreateString")
	procWindowsDeleteStr   = combase.NewProc("WindowsDeleteString")
)

// Interface IDs (Windows SDK: windows.data.xml.dom.h, windows.ui.notifications.h).
var (
	iidXMLDocument                     = guid(0xf7f3a506, 0x1e87, 0x42d6, 0xbc, 0xfb, 0xb8, 0xc8, 0x09, 0xfa, 0x54, 0x94)
	iidXMLDocumentIO                   = guid(0x6cd0e74e, 0xee65, 0x4489, 0x9e, 0xbf, 0xca, 0x43, 0xe8, 0x7b, 0xa6, 0x37)
	iidToastNotificationFactory        = guid(0x04124b20, 0x82c6, 0x4229, 0xb1, 0x09, 0xfd, 0x9e, 0xd4, 0x66, 0x2b, 0x53)
	iidToastNotificationManagerStatics = guid(0x50ac103f, 0xd235, 0x4598, 0xbb, 0xef, 0x98, 0xfe, 0x4d, 0x1a, 0x3a, 0xd4)
)

// Vtable slots: IUnknown is 0-2, IInspectable 3-5, each interface's own
// methods follow in declaration order.
const (
	slotQueryInterface            = 0
	slotRelease                   = 2
	slotLoadXML                   = 6 // IXmlDocumentIO.LoadXml
	slotCreateToastNotification   = 6 // IToastNotificationFactory.CreateToastNotification
	slotCreateToastNotifierWithID = 7 // IToastNotificationManagerStatics.CreateToastNotifierWithId
	slotShow                      = 6 // IToastNotifier.Show
)

const (
	roInitMultithreaded = 1
	sFalse              = 1
	rpcEChangedMode     = 0x80010106
)

func guid(d1 uint32, d2, d3 uint16, d4 ...byte) *windows.GUID {
	g := &windows.GUID{Data1: d1, Data2: d2, Data3: d3}
	copy(g.Data4[:], d4)
	return g
}

// HRESULTError is a failed COM call's result code.
type HRESULTError uint32

func (e HRESULTError) Error() string { return fmt.Sprintf("HRESULT 0x%08X", uint32(e)) }

func hresult(r uintptr) error {
	if int32(uint32(r)) < 0 {
		return HRESULTError(uint32(r))
	}
	return nil
}

// comObject is a COM interface pointer: its first word is the vtable.
type comObject struct{ vtbl *[32]uintptr }

func (o *comObject) release() {
	if o != nil {
		syscall.SyscallN(o.vtbl[slotRelease], uintptr(unsafe.Pointer(o)))
	}
}

func (o *comObject) queryInterface(iid *windows.GUID) (*comObject, error) {
	var out *comObject
	r, _, _ := syscall.SyscallN(o.vtbl[slotQueryInterface], uintptr(unsafe.Pointer(o)),
		uintptr(unsafe.Pointer(iid)), uintptr(unsafe.Pointer(&out)))
	if err := hresult(r); err != nil {
		return nil, err
	}
	return out, nil
}

// hstring is a Windows Runtime string (HSTRING) owning a copy of s.
type hstring uintptr

func newHString(s string) (hstring, error) {
	u := utf16.Encode([]rune(s))
	var h hstring
	var p *uint16
	if len(u) > 0 {
		p = &u[0]
	}
	r, _, _ := procWindowsCreateStr.Call(uintptr(unsafe.Pointer(p)), uintptr(len(u)), uintptr(unsafe.Pointer(&h)))
	runtime.KeepAlive(u)
	if err := hresult(r); err != nil {
		return 0, fmt.Errorf("WindowsCreateString: %w", err)
	}
	return h, nil
}

func (h hstring) free() {
	if h != 0 {
		procWindowsDeleteStr.Call(uintptr(h))
	}
}

// Show hands toastXML (made by [XML]) to the Windows Runtime and shows it
// as a toast of the app identified by appID (its AppUserModelID). It
// returns once Windows has taken the toast, or with the failing step's
// error; it starts no process and runs no script.
func Show(appID, toastXML string) error {
	if err := combase.Load(); err != nil {
		return fmt.Errorf("wintoast: loading combase.dll: %w", err)
	}
	for _, p := range []*windows.LazyProc{procRoInitialize, procRoUninitialize, procRoActivateInstance,
		procRoGetActivationFac, procWindowsCreateStr, procWindowsDeleteStr} {
		if err := p.Find(); err != nil {
			return fmt.Errorf("wintoast: %w", err)
		}
	}
	// The Windows Runtime is initialised per thread: stay on this one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, _, _ := procRoInitialize.Call(roInitMultithreaded)
	switch {
	case r == 0 || r == sFalse:
		defer procRoUninitialize.Call()
	case uint32(r) == rpcEChangedMode:
		// The thread is already a single-threaded apartment; use it.
	default:
		return fmt.Errorf("wintoast: RoInitialize: %w", HRESULTError(uint32(r)))
	}
	if err := show(appID, toastXML); err != nil {
		return fmt.Errorf("wintoast: %w", err)
	}
	return nil
}

func show(appID, toastXML string) error {
	doc, err := loadXML(toastXML)
	if err != nil {
		return err
	}
	defer doc.release()

	factory, err := activationFactory("Windows.UI.Notifications.ToastNotification", iidToastNotificationFactory)
	if err != nil {
		return err
	}
	defer factory.release()
	var toast *comObject
	r, _, _ := syscall.SyscallN(factory.vtbl[slotCreateToastNotification], uintptr(unsafe.Pointer(factory)),
		uintptr(unsafe.Pointer(doc)), uintptr(unsafe.Pointer(&toast)))
	if err := hresult(r); err != nil {
		return fmt.Errorf("creating the toast: %w", err)
	}
	defer toast.release()

	manager, err := activationFactory("Windows.UI.Notifications.ToastNotificationManager", iidToastNotificationManagerStatics)
	if err != nil {
		return err
	}
	defer manager.release()
	id, err := newHString(appID)
	if err != nil {
		return err
	}
	defer id.free()
	var notifier *comObject
	r, _, _ = syscall.SyscallN(manager.vtbl[slotCreateToastNotifierWithID], uintptr(unsafe.Pointer(manager)),
		uintptr(id), uintptr(unsafe.Pointer(&notifier)))
	if err := hresult(r); err != nil {
		return fmt.Errorf("creating the toast notifier for %q: %w", appID, err)
	}
	defer notifier.release()
	r, _, _ = syscall.SyscallN(notifier.vtbl[slotShow], uintptr(unsafe.Pointer(notifier)), uintptr(unsafe.Pointer(toast)))
	if err := hresult(r); err != nil {
		return fmt.Errorf("showing the toast: %w", err)
	}
	return nil
}

// loadXML returns an IXmlDocument holding the parsed toastXML.
func loadXML(toastXML string) (*comObject, error) {
	class, err := newHString("Windows.Data.Xml.Dom.XmlDocument")
	if err != nil {
		return nil, err
	}
	defer class.free()
	var inspectable *comObject
	r, _, _ := procRoActivateInstance.Call(uintptr(class), uintptr(unsafe.Pointer(&inspectable)))
	if err := hresult(r); err != nil {
		return nil, fmt.Errorf("creating an XmlDocument: %w", err)
	}
	if inspectable == nil {
		return nil, errors.New("creating an XmlDocument: no object")
	}
	defer inspectable.release()
	io, err := inspectable.queryInterface(iidXMLDocumentIO)
	if err != nil {
		return nil, fmt.Errorf("XmlDocument as IXmlDocumentIO: %w", err)
	}
	defer io.release()
	text, err := newHString(toastXML)
	if err != nil {
		return nil, err
	}
	defer text.free()
	r, _, _ = syscall.SyscallN(io.vtbl[slotLoadXML], uintptr(unsafe.Pointer(io)), uintptr(text))
	if err := hresult(r); err != nil {
		return nil, fmt.Errorf("XmlDocument.LoadXml: %w", err)
	}
	doc, err := inspectable.queryInterface(iidXMLDocument)
	if err != nil {
		return nil, fmt.Errorf("XmlDocument as IXmlDocument: %w", err)
	}
	return doc, nil
}

// activationFactory returns the factory (statics) interface iid of the
// runtime class named class.
func activationFactory(class string, iid *windows.GUID) (*comObject, error) {
	name, err := newHString(class)
	if err != nil {
		return nil, err
	}
	defer name.free()
	var f *comObject
	r, _, _ := procRoGetActivationFac.Call(uintptr(name), uintptr(unsafe.Pointer(iid)), uintptr(unsafe.Pointer(&f)))
	if err := hresult(r); err != nil {
		return nil, fmt.Errorf("activation factory of %s: %w", class, err)
	}
	if f == nil {
		return nil, fmt.Errorf("activation factory of %s: no object", class)
	}
	return f, nil
}
