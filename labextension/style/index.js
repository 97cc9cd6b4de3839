import './base.css';
import './panel.css';
import './evaluation.css';
import './tune.css';
