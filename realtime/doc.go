// Package realtime is the Directus client of the chat app: REST sign-in and
// token refresh, the WebSocket session (auth handshake, subscription to the
// messages collection, heartbeats, reconnects with backoff, catch-up after a
// gap) and the queue of messages waiting to be sent.
//
// It never imports Fyne. Everything it learns reaches the consumer as batches
// of typed events on one channel (Session.Events); the methods the UI calls
// (Send, LoadOlder, Edit, Delete, ReconnectNow) never block on the network.
package realtime
