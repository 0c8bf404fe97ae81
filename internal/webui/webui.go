// Package webui embeds the browser side built by web/widget and web/admin.
//
// `npm run build` in web/widget makes the host-page loader (embed.js), the chat iframe app
// (widget/) and the demo shop page (demo/); web/admin makes the operator console (admin/). A
// fresh clone has only dist/.gitkeep, so the package always compiles; Built and AdminBuilt
// report whether a real build is present.
package webui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Paths inside FS that the server maps to URLs.
const (
	LoaderPath  = "embed.js"          // GET /embed.js
	WidgetIndex = "widget/index.html" // GET /widget/
	DemoIndex   = "demo/index.html"   // GET /
	AdminIndex  = "admin/index.html"  // GET /admin/… (the operator console, web/admin)
	// AdminPreview is the site editor's live preview (GET /admin/preview): the widget's dialog,
	// built by web/admin from web/widget's sources.
	AdminPreview = "admin/preview.html"
)

// FS returns the build output rooted at dist: embed.js, widget/…, demo/….
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path; "dist" is a constant valid path.
		panic(err)
	}
	return sub
}

// Built reports whether the widget has been built (dist/widget/index.html exists).
func Built() bool {
	_, err := fs.Stat(FS(), WidgetIndex)
	return err == nil
}

// AdminBuilt reports whether the operator console app has been built (dist/admin/index.html).
func AdminBuilt() bool {
	_, err := fs.Stat(FS(), AdminIndex)
	return err == nil
}
