package importer

import (
	"strings"
)

// Kind says how a cell is read, checked, stored and written back.
type Kind int

const (
	KindCode  Kind = iota // an ID or code: text exactly as Excel displays it
	KindText              // free text, trimmed
	KindEmail             // one @, a dot in the domain; stored lower-case
	KindDate              // a date cell or YYYY-MM-DD text; stored as YYYY-MM-DD
	KindTime              // a time cell or HH:MM text; stored as HH:MM
	KindWhole             // a whole number from the column's Min to its Max
)

// Column is one column of a sheet as the contract defines it.
type Column struct {
	Header   string // as shown in the template
	Field    string // the database column
	Required bool
	Kind     Kind
	Min, Max int    // the range of a KindWhole column
	Hint     string // what the template's note adds about the column, if anything
	Example  string // a value as a user would type it, for the template's note
}

// Ref says that a column's value must be the key of a row of another
// sheet, found in the same workbook or already in the database.
type Ref struct {
	Field string // the referring column
	To    StepKey
}

// Sheet is one sheet of the workbook, the step that imports it and the
// table it fills. Sheets, below, is the one description of the workbook:
// the steps, the reader, the checks, the store, the workbooks Roster
// writes and the sample all follow it.
type Sheet struct {
	Step     StepKey
	StepName string // the step as people say it, e.g. "Car assignments"
	Name     string // the sheet as in the template
	Table    string
	Columns  []Column
	Key      []string // fields that identify a row
	Unique   []string // fields that no two rows may share (besides the key)
	Refs     []Ref    // each to a sheet before this one
}

// Fields lists the database columns in sheet order.
func (s *Sheet) Fields() []string {
	f := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		f[i] = c.Field
	}
	return f
}

// Column returns the column with the given field.
func (s *Sheet) Column(field string) Column {
	for _, c := range s.Columns {
		if c.Field == field {
			return c
		}
	}
	panic("importer: no field " + field + " in sheet " + s.Name)
}

// Sheets is the workbook of the contract, in step order.
var Sheets = []*Sheet{
	{
		Step: StepAreas, StepName: "Areas", Name: "Areas", Table: "areas",
		Columns: []Column{
			{Header: "Code", Field: "code", Required: true, Kind: KindCode, Example: "007"},
			{Header: "Name", Field: "name", Required: true, Kind: KindText, Example: "North Harbour"},
		},
		Key: []string{"code"},
	},
	{
		Step: StepDepartments, StepName: "Departments", Name: "Departments", Table: "departments",
		Columns: []Column{
			{Header: "Code", Field: "code", Required: true, Kind: KindCode, Example: "ENG0001"},
			{Header: "Name", Field: "name", Required: true, Kind: KindText, Example: "Engineering, North Harbour"},
			{Header: "Area Code", Field: "area_code", Kind: KindCode, Example: "007"},
		},
		Key:  []string{"code"},
		Refs: []Ref{{"area_code", StepAreas}},
	},
	{
		Step: StepDesignations, StepName: "Designations", Name: "Designations", Table: "designations",
		Columns: []Column{
			{Header: "Code", Field: "code", Required: true, Kind: KindCode, Example: "DS01"},
			{Header: "Title", Field: "title", Required: true, Kind: KindText, Example: "Software Engineer"},
		},
		Key: []string{"code"},
	},
	{
		Step: StepEmployees, StepName: "Employees", Name: "Employees", Table: "employees",
		Columns: []Column{
			{Header: "Employee ID", Field: "employee_id", Required: true, Kind: KindCode, Example: "E000042"},
			{Header: "Full Name", Field: "full_name", Required: true, Kind: KindText, Example: "Amara Okafor"},
			{Header: "Email", Field: "email", Required: true, Kind: KindEmail, Example: "amara.okafor.42@example.com"},
			{Header: "Phone", Field: "phone", Kind: KindText, Example: "+44 7700 900123"},
			{Header: "Department Code", Field: "department_code", Required: true, Kind: KindCode, Example: "ENG0001"},
			{Header: "Designation Code", Field: "designation_code", Required: true, Kind: KindCode, Example: "DS01"},
			{Header: "Area Code", Field: "area_code", Kind: KindCode, Example: "007"},
			{Header: "Joining Date", Field: "joining_date", Kind: KindDate, Example: "2024-03-31"},
		},
		Key:    []string{"employee_id"},
		Unique: []string{"email"},
		Refs: []Ref{
			{"department_code", StepDepartments},
			{"designation_code", StepDesignations},
			{"area_code", StepAreas},
		},
	},
	{
		Step: StepSchedules, StepName: "Schedules", Name: "Schedules", Table: "schedules",
		Columns: []Column{
			{Header: "Employee ID", Field: "employee_id", Required: true, Kind: KindCode, Example: "E000042"},
			{Header: "Date", Field: "date", Required: true, Kind: KindDate, Example: "2024-03-31"},
			{Header: "Shift Start", Field: "shift_start", Required: true, Kind: KindTime, Example: "22:00"},
			{Header: "Shift End", Field: "shift_end", Required: true, Kind: KindTime, Example: "06:00",
				Hint: "Earlier than Shift Start for a shift that ends the next day (22:00 to 06:00)."},
		},
		Key:  []string{"employee_id", "date", "shift_start"},
		Refs: []Ref{{"employee_id", StepEmployees}},
	},
	{
		Step: StepDrivers, StepName: "Drivers", Name: "Drivers", Table: "drivers",
		Columns: []Column{
			{Header: "Employee ID", Field: "employee_id", Required: true, Kind: KindCode, Example: "E000042"},
			{Header: "License No", Field: "license_no", Required: true, Kind: KindCode, Example: "DL-42-0001234"},
			{Header: "License Expiry", Field: "license_expiry", Required: true, Kind: KindDate, Example: "2024-03-31"},
		},
		Key:    []string{"employee_id"},
		Unique: []string{"license_no"},
		Refs:   []Ref{{"employee_id", StepEmployees}},
	},
	{
		Step: StepCarAssignments, StepName: "Car assignments", Name: "Car Assignments", Table: "car_assignments",
		Columns: []Column{
			{Header: "Plate No", Field: "plate_no", Required: true, Kind: KindCode, Example: "KX24 AAB"},
			{Header: "Car Model", Field: "car_model", Kind: KindText, Example: "Toyota HiAce"},
			{Header: "Seats", Field: "seats", Kind: KindWhole, Min: 1, Max: 99, Example: "12"},
			{Header: "Driver Employee ID", Field: "driver_employee_id", Required: true, Kind: KindCode, Example: "E000042"},
			{Header: "Assigned From", Field: "assigned_from", Kind: KindDate, Example: "2024-03-31"},
		},
		Key:  []string{"plate_no"},
		Refs: []Ref{{"driver_employee_id", StepDrivers}},
	},
}

// Steps lists every step in dependency order, as Sheets has them: a step
// only refers to the ones before it.
var Steps = func() []StepKey {
	keys := make([]StepKey, len(Sheets))
	for i, s := range Sheets {
		keys[i] = s.Step
	}
	return keys
}()

// SheetFor returns the sheet of a step.
func SheetFor(step StepKey) *Sheet {
	for _, s := range Sheets {
		if s.Step == step {
			return s
		}
	}
	panic("importer: unknown step " + string(step))
}

// Normalize makes sheet and header names comparable: case, surrounding
// and repeated inner spaces and a trailing "*" (the template's mark for
// required) do not count.
func Normalize(name string) string {
	name = strings.TrimSpace(name)
	name = strings.TrimSuffix(name, "*")
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}
