-- Lets the report run start Quarto before the page notebooks are executed (src/helpers/quarto.py).
-- Quarto renders the pages in the order of project.render, reading each page only when the one
-- before it is done. This filter, run on every page, holds a page until the NEXT page is staged,
-- so Quarto starts up, compiles the theme and renders the first pages while later notebooks are
-- still executing. The run names a folder in DURHAM_PAGES_READY, where it creates
-- "<page>.ready" for each staged page (or "failed" to give up), and the render order in
-- DURHAM_PAGES_ORDER. It gives up if the run (DURHAM_RUNNER_PID) is gone. Without these
-- variables (a plain `quarto render`), the filter does nothing.
local signals = os.getenv("DURHAM_PAGES_READY")
local order = os.getenv("DURHAM_PAGES_ORDER")
local runner = os.getenv("DURHAM_RUNNER_PID")

-- Quarto logs an error() raised in a filter and carries on, so giving up ends pandoc itself.
local function give_up(why)
  io.stderr:write("ERROR: " .. why .. "; the render is abandoned\n")
  os.exit(1)
end

local function exists(path)
  local handle = io.open(path, "r")
  if handle then
    handle:close()
    return true
  end
  return false
end

local function next_page(current)
  local found = false
  for name in string.gmatch(order, "[^:]+") do
    if found then
      return name
    end
    found = name == current
  end
  return nil
end

local function wait_for(page)
  local ticks = 0 -- of 50 ms
  local ready = signals .. "/" .. page .. ".ready"
  while not exists(ready) do
    if exists(signals .. "/failed") then
      give_up("the page notebooks could not be prepared")
    end
    if ticks > 72000 then
      give_up("waited an hour for " .. page)
    end
    if runner and ticks % 20 == 0 and not os.execute("kill -0 " .. runner .. " 2>/dev/null") then
      give_up("the report run that started this render has stopped")
    end
    os.execute("sleep 0.05")
    ticks = ticks + 1
  end
end

-- The page as the run names it: its path in the project, "/" written "__" (districts__d3.ipynb).
local function page_name(path)
  local project = quarto.project and quarto.project.directory
  if project and path:sub(1, #project + 1) == project .. "/" then
    path = path:sub(#project + 2)
  else
    path = pandoc.path.filename(path)
  end
  return (path:gsub("/", "__"))
end

function Pandoc(doc)
  if not signals or signals == "" or not order then
    return doc
  end
  local page = next_page(page_name(quarto.doc.input_file))
  if page then
    wait_for(page)
  end
  return doc
end
