package main

import "github.com/gofiber/fiber/v2"

func (a *App) openAPI(c *fiber.Ctx) error { return c.JSON(fiber.Map{"openapi": "3.0.3"}) }
