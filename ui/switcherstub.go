package ui

func (c *chatView) showSwitcher() {}
