package main

import (
	"github.com/gofiber/fiber/v2"
)

// pageRoutes registers the server-rendered pages.
func (a *App) pageRoutes(app *fiber.App) {}

// renderError shows an error page.
func (a *App) renderError(c *fiber.Ctx, status int, msg string) error {
	return c.Status(status).SendString(msg)
}
