// Package assets embeds the files the app ships with: the default Two Spirals classifier.
//
// The classifier is produced by mflowlab's own training command and can be reproduced with
//
//	mflowlab train-classifier --out assets/classifier.mfl --width 64 --depth 3 --epochs 20 --lr 3e-3 --seed 1 --min-accuracy 0.995
package assets

import _ "embed"

//go:embed classifier.mfl
var classifier []byte

// ClassifierName is the name used for the embedded classifier in messages.
const ClassifierName = "embedded assets/classifier.mfl"

// Classifier returns a copy of the embedded default classifier checkpoint (native format);
// flow/classify.Parse turns it into a model.
func Classifier() []byte { return append([]byte(nil), classifier...) }
